"""Population training against training one model at a time, side by side in one run.

1. CPU: 64 MLP configs (64-64-10, 10 epochs, batch 64) on scikit-learn's digits, trained as one
   population vs one by one with plain PyTorch (nn.Sequential + torch.optim, same configs,
   same minibatch order). Reports wall time, the ratio, and the accuracy distribution of both.
   Then the same with the architecture searched too: width {32, 64, 128, 256} x depth {1, 2}.
2. GPU (only where torch.cuda.is_available()): 256 MLP configs, population on the GPU vs one
   by one with plain PyTorch on the GPU (a sample of them, extrapolated).
3. Logistic regression: 256 inverse regularization strengths C as one population (Adam on
   scikit-learn's objective, mean log-loss + ||w||² / (2 C n)) vs scikit-learn's
   LogisticRegression(C) fitted 256 times.

Both sides run with the same number of threads (--threads, default 1: on a small shared
machine more threads contend and slow both sides down, erratically).
Run: python benchmarks/population.py [--quick] [--threads N] [--sections fixed,mixed,gpu,logistic].
Needs torch and scikit-learn.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits
from torch import nn

from tunesmith import population
from tunesmith.population.data import derive_seed

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")


def digits() -> tuple[np.ndarray, ...]:
    """Digits scaled to [0, 1], split 80/20 with a fixed seed."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return tuple(train_test_split(x, y, test_size=0.2, random_state=0, stratify=y))


def mlp_configs(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` configs: optimizer in turn, log-uniform lr and weight decay, some dropout."""
    rng = np.random.default_rng(seed)
    low_lr = {"sgd": -2.5, "momentum": -3.0, "rmsprop": -4.0, "adam": -4.0, "adamw": -4.0}
    configs = []
    for i in range(n):
        optimizer = OPTIMIZERS[i % len(OPTIMIZERS)]
        lr = 10 ** rng.uniform(low_lr[optimizer], low_lr[optimizer] + 2.0)
        configs.append(
            {
                "optimizer": optimizer,
                "lr": float(lr),
                "weight_decay": float(10 ** rng.uniform(-6, -3)),
                "dropout": float(rng.choice([0.0, 0.1, 0.2])),
            }
        )
    return configs


def torch_optimizer(config: dict[str, Any], params: Any) -> torch.optim.Optimizer:
    """The torch.optim optimizer a population config stands for (torch's defaults otherwise)."""
    kind, lr, wd = config["optimizer"], config["lr"], config["weight_decay"]
    if kind in ("sgd", "momentum"):
        return torch.optim.SGD(
            params, lr=lr, momentum=0.9 if kind == "momentum" else 0.0, weight_decay=wd
        )
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    return {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind](
        params, lr=lr, weight_decay=wd
    )


def train_one(
    config: dict[str, Any],
    data: tuple[torch.Tensor, ...],
    epochs: int,
    batch: int,
    seed: int,
    hidden: tuple[int, ...],
    device: str = "cpu",
) -> float:
    """One MLP trained by plain PyTorch with the population's minibatch order; val accuracy."""
    x, y, x_val, y_val = data
    torch.manual_seed(seed)
    widths = (x.shape[1], *hidden)
    layers: list[nn.Module] = []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(config["dropout"])]
    model = nn.Sequential(*layers, nn.Linear(widths[-1], 10)).to(device)
    optimizer = torch_optimizer(config, model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        order = torch.randperm(
            len(y), generator=torch.Generator().manual_seed(derive_seed(seed, 1, epoch))
        ).to(device)
        for start in range(0, len(y), batch):
            index = order[start : start + batch]
            loss = loss_fn(model(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(x_val).argmax(1) == y_val).float().mean())


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and its wall time in seconds; its CPU time is added to ``CPU_SECONDS[-1]``."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU_SECONDS[-1] += time.process_time() - cpu
    return out, time.perf_counter() - start


CPU_SECONDS = [0.0]  # CPU time of the current measurement (robust to a busy machine)


def cpu_timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall time, and its CPU time (all threads of this process)."""
    CPU_SECONDS.append(0.0)
    out, wall = timed(fn)
    return out, wall, CPU_SECONDS.pop()


def quantiles(values: list[float]) -> str:
    q = np.quantile(np.asarray(values, dtype=float), [0.1, 0.25, 0.5, 0.75, 0.9])
    return "p10 {:.3f}  p25 {:.3f}  median {:.3f}  p75 {:.3f}  p90 {:.3f}".format(*q)


SHAPES = [(w, d) for w in (32, 64, 128, 256) for d in (1, 2)]  # the architecture space


def hidden_of(config: dict[str, Any]) -> tuple[int, ...]:
    """The hidden widths a config trains: its width and depth, or the fixed 64-64."""
    return (config["width"],) * config["depth"] if "width" in config else (64, 64)


def mlp_section(
    n: int, epochs: int, batch: int, device: str, sample: int | None, mixed: bool = False
) -> dict:
    """Population vs one by one, interleaved (population, half the singles, population, ...);
    ``sample`` trains only that many one by one and extrapolates. ``mixed``: the configs also
    search the architecture, width {32, 64, 128, 256} x depth {1, 2} (8 shapes, in turn)."""
    x, x_val, y, y_val = digits()
    configs = mlp_configs(n)
    if mixed:
        configs = [
            dict(c, width=SHAPES[i % 8][0], depth=SHAPES[i % 8][1]) for i, c in enumerate(configs)
        ]
    model = population.MLP(hidden=(64, 64))

    def run_population() -> list[population.MemberResult]:
        out = population.train(
            model,
            x,
            y,
            configs,
            X_val=x_val,
            y_val=y_val,
            epochs=epochs,
            batch_size=batch,
            device=device,
            seed=0,
        )
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    tensors = tuple(
        torch.as_tensor(a).to(device)
        for a in (x, y.astype(np.int64), x_val, y_val.astype(np.int64))
    )
    chosen = configs if sample is None else configs[:sample]
    halves = (chosen[: len(chosen) // 2], chosen[len(chosen) // 2 :])
    # Warm-up on both sides: first-use imports of torch.optim, kernels, the CUDA allocator.
    population.train(model, x, y, configs[:2], epochs=1, batch_size=batch, device=device)
    train_one(chosen[0], tensors, 1, batch, 0, hidden_of(chosen[0]), device)
    pop_times, pop_cpu, solo, t_solo, cpu_solo = [], [], [], 0.0, 0.0
    for half in (*halves, ()):
        results, seconds, cpu = cpu_timed(run_population)
        pop_times.append(seconds)
        pop_cpu.append(cpu)
        scores, seconds, cpu = cpu_timed(
            lambda h=half: [
                train_one(c, tensors, epochs, batch, 0, hidden_of(c), device) for c in h
            ]
        )
        solo += scores
        t_solo += seconds
        cpu_solo += cpu
    t_pop = float(np.median(pop_times))
    t_solo_all = t_solo * n / len(chosen)
    cpu_ratio = cpu_solo * n / len(chosen) / float(np.median(pop_cpu))
    pop_acc = [r.accuracy for r in results if not r.failed]
    return {
        "n": n,
        "t_pop": t_pop,
        "t_pop_runs": pop_times,
        "t_solo": t_solo_all,
        "ratio": t_solo_all / t_pop,
        "cpu_ratio": cpu_ratio,
        "pop_acc": pop_acc,
        "solo_acc": solo,
        "failed": sum(r.failed for r in results),
        "sampled": len(chosen),
    }


def logistic_section(n: int, epochs: int, threads: int) -> dict:
    """``n`` strengths C: one population vs scikit-learn's LogisticRegression(C), n fits.

    Population: Adam on scikit-learn's objective (mean log-loss + ||W||² / (2 C n), intercept
    free), minibatches of 512, cosine-annealed learning rate 0.3·√(C / (1 + C)) per member.
    """
    x, x_val, y, y_val = digits()
    strengths = np.logspace(-3, 2, n)
    configs = [
        {"optimizer": "adam", "lr": 0.3 * float(np.sqrt(c / (1 + c))), "l2": 1 / (2 * c * len(y))}
        for c in strengths
    ]
    results, t_pop, cpu_pop = cpu_timed(
        lambda: population.train(
            population.Logistic(),
            x,
            y,
            configs,
            X_val=x_val,
            y_val=y_val,
            epochs=epochs,
            batch_size=512,
            seed=0,
            schedule="cosine",
        )
    )

    def fit_all() -> list[float]:
        scores = []
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for c in strengths:
                clf = LogisticRegression(C=float(c), max_iter=1000).fit(x, y)
                scores.append(float(clf.score(x_val, y_val)))
        return scores

    sk, t_sk, cpu_sk = cpu_timed(fit_all)
    ours = np.array([r.accuracy for r in results], dtype=float)
    diff = np.abs(ours - np.array(sk))
    return {
        "n": n,
        "t_pop": t_pop,
        "t_sk": t_sk,
        "ratio": t_sk / t_pop,
        "cpu_ratio": cpu_sk / cpu_pop,
        "max_diff": diff.max(),
        "mean_diff": diff.mean(),
        "within": float((diff <= 0.01).mean()),
        "pop_acc": ours.tolist(),
        "sk_acc": sk,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads for torch and scikit-learn (default 1)"
    )
    parser.add_argument("--lr-epochs", type=int, default=40, help="logistic regression epochs")
    parser.add_argument(
        "--sections",
        default="fixed,mixed,gpu,logistic",
        help="comma-separated sections to run: fixed, mixed (8 shapes), gpu, logistic",
    )
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    torch.set_num_threads(args.threads)
    print(f"# tunesmith population benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"torch threads, torch {torch.__version__}, Python {platform.python_version()}"
    )
    n_mlp = 16 if args.quick else 64
    if "fixed" in sections:
        fixed_section(n_mlp)
    if "mixed" in sections:
        mixed_section(n_mlp)
    if "gpu" in sections:
        gpu_section()
    if "logistic" in sections:
        logistic_report(32 if args.quick else 256, args.lr_epochs, args.threads)


def fixed_section(n_mlp: int) -> None:
    """Print the fixed-shape section: n MLPs 64-64-10 against one by one."""
    cpu = mlp_section(n_mlp, 10, 64, "cpu", None)
    print(f"\n## CPU: {cpu['n']} MLPs 64-64-10, 10 epochs, batch 64, digits")
    runs = ", ".join(f"{t:.2f}" for t in cpu["t_pop_runs"])
    print(f"population      {cpu['t_pop']:8.2f} s   (median of {runs}; {cpu['failed']} diverged)")
    print(f"one by one      {cpu['t_solo']:8.2f} s   (plain PyTorch, nn.Sequential + torch.optim)")
    print(f"ratio           {cpu['ratio']:8.1f}x   (CPU time: {cpu['cpu_ratio']:.1f}x)")
    print(f"accuracy, population: {quantiles(cpu['pop_acc'])}")
    print(f"accuracy, one by one: {quantiles(cpu['solo_acc'])}")


def mixed_section(n_mlp: int) -> None:
    """Print the architecture-search section: 8 shapes in one population against one by one."""
    mixed = mlp_section(n_mlp, 10, 64, "cpu", None, mixed=True)
    print(f"\n## CPU: {mixed['n']} MLPs over 8 shapes (width 32-256 x depth 1-2), 10 epochs")
    runs = ", ".join(f"{t:.2f}" for t in mixed["t_pop_runs"])
    print(f"population      {mixed['t_pop']:8.2f} s   (median of {runs})")
    print(f"one by one      {mixed['t_solo']:8.2f} s   (plain PyTorch, the same shapes)")
    print(f"ratio           {mixed['ratio']:8.1f}x   (CPU time: {mixed['cpu_ratio']:.1f}x)")
    print(f"accuracy, population: {quantiles(mixed['pop_acc'])}")
    print(f"accuracy, one by one: {quantiles(mixed['solo_acc'])}")


def gpu_section() -> None:
    """Print the GPU section (skipped without CUDA)."""
    print("\n## GPU: 256 MLPs 64-64-10")
    if torch.cuda.is_available():
        gpu = mlp_section(256, 10, 64, "cuda", 16)
        print(f"population      {gpu['t_pop']:8.2f} s")
        print(f"one by one      {gpu['t_solo']:8.2f} s   ({gpu['sampled']} trained, extrapolated)")
        print(f"ratio           {gpu['ratio']:8.1f}x   (host CPU time: {gpu['cpu_ratio']:.1f}x)")
        print(f"accuracy, population: {quantiles(gpu['pop_acc'])}")
        print(f"accuracy, one by one: {quantiles(gpu['solo_acc'])}")
    else:
        print("skipped: torch.cuda.is_available() is False")


def logistic_report(n_log: int, epochs: int, threads: int) -> None:
    """Print the logistic-regression section against scikit-learn."""
    log = logistic_section(n_log, epochs, threads)
    print(f"\n## Logistic regression: {log['n']} strengths C in [1e-3, 1e2], digits")
    print(f"population      {log['t_pop']:8.2f} s   (Adam, batch 512, {epochs} epochs)")
    print(f"scikit-learn    {log['t_sk']:8.2f} s   (LogisticRegression(C), lbfgs, one fit each)")
    print(f"ratio           {log['ratio']:8.1f}x   (CPU time: {log['cpu_ratio']:.1f}x)")
    print(
        f"|accuracy difference|: max {log['max_diff']:.4f}, mean {log['mean_diff']:.4f}, "
        f"{100 * log['within']:.0f}% within 0.01"
    )


if __name__ == "__main__":
    main()
