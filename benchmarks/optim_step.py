"""Step time of tunesmith.optim against torch.optim in the same run, reported as ratios.

Sections: CPU (10 million float32 parameters in 10 tensors: Adam, SGD with momentum, RMSprop
against torch.optim with foreach=True); GPU (100 million parameters, Adam against torch's
foreach and fused Adam; skipped without CUDA); population (one tunesmith Adam step over 64
members x 100k parameters with 64 learning rates, against 64 separate torch.optim steps).
Each figure is the median of repeated timings after warm-up, both sides timed in alternating
order within each round. Run: python benchmarks/optim_step.py [--repeats 21] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import tunesmith.optim as ts_optim


def make_params(count: int, size: int, device: str, seed: int = 0) -> list[torch.Tensor]:
    """``count`` float32 tensors of ``size`` elements, each with a fixed random gradient."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    params = []
    for _ in range(count):
        p = torch.randn(size, generator=generator).to(device).requires_grad_()
        p.grad = torch.randn(size, generator=generator).to(device)
        params.append(p)
    return params


CLOCK = time.perf_counter


def median_seconds(
    steps: dict[str, Callable[[], None]], repeats: int, warmup: int, sync: Callable[[], None]
) -> dict[str, float]:
    """Median wall time of each step function, timed in interleaved rounds after warm-up."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    sync()
    samples: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for round_index in range(repeats):
        order = names if round_index % 2 == 0 else names[::-1]  # neither side always goes first
        for name in order:
            step = steps[name]
            sync()
            start = CLOCK()
            step()
            sync()
            samples[name].append(CLOCK() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def cpu_section(repeats: int) -> None:
    count, size = 10, 1_000_000
    print(
        f"CPU: {count * size / 1e6:.0f}M float32 params in {count} tensors, "
        f"{torch.get_num_threads()} threads, median of {repeats}"
    )
    cases = {
        "Adam": (ts_optim.Adam, torch.optim.Adam, {"lr": 1e-3}),
        "SGD momentum": (ts_optim.SGD, torch.optim.SGD, {"lr": 1e-3, "momentum": 0.9}),
        "RMSprop": (ts_optim.RMSprop, torch.optim.RMSprop, {"lr": 1e-3}),
    }
    for name, (ours, theirs, kwargs) in cases.items():
        tunesmith_opt = ours(make_params(count, size, "cpu"), **kwargs)
        torch_opt = theirs(make_params(count, size, "cpu"), foreach=True, **kwargs)
        times = median_seconds(
            {"tunesmith": tunesmith_opt.step, "torch foreach": torch_opt.step},
            repeats,
            warmup=3,
            sync=lambda: None,
        )
        ratio = times["tunesmith"] / times["torch foreach"]
        print(
            f"  {name:13s} tunesmith {times['tunesmith'] * 1e3:7.2f} ms   torch foreach "
            f"{times['torch foreach'] * 1e3:7.2f} ms   ratio {ratio:.2f}x"
        )


def gpu_section(repeats: int) -> None:
    if not torch.cuda.is_available():
        print("GPU: skipped (torch.cuda.is_available() is False)")
        return
    count, size = 10, 10_000_000
    print(
        f"GPU ({torch.cuda.get_device_name()}): {count * size / 1e6:.0f}M float32 params "
        f"in {count} tensors, median of {repeats}"
    )
    optimizers = {
        "tunesmith": ts_optim.Adam(make_params(count, size, "cuda"), lr=1e-3),
        "torch foreach": torch.optim.Adam(make_params(count, size, "cuda"), lr=1e-3, foreach=True),
        "torch fused": torch.optim.Adam(make_params(count, size, "cuda"), lr=1e-3, fused=True),
    }
    times = median_seconds(
        {name: opt.step for name, opt in optimizers.items()},
        repeats,
        warmup=5,
        sync=torch.cuda.synchronize,
    )
    for name, seconds in times.items():
        ratio = times["tunesmith"] / seconds
        print(f"  Adam {name:13s} {seconds * 1e3:7.2f} ms   tunesmith / this {ratio:.2f}x")


def population_section(repeats: int) -> None:
    members = 64
    print(
        f"Population: {members} members, Adam with {members} learning rates in one step vs "
        f"{members} separate optimizers' steps, median of {repeats}"
    )
    lrs = torch.logspace(-4, -2, members)
    for size in (100_000, 10_000, 1_000):
        (flat,) = make_params(1, members * size, "cpu")
        batched = flat.detach().reshape(members, size).requires_grad_()
        batched.grad = flat.grad.reshape(members, size)
        population_opt = ts_optim.Adam([batched], lr=lrs)
        separate = {
            "64 torch.optim": [
                torch.optim.Adam(make_params(1, size, "cpu", seed=i), lr=float(lr), foreach=True)
                for i, lr in enumerate(lrs)
            ],
            "64 tunesmith": [
                ts_optim.Adam(make_params(1, size, "cpu", seed=i), lr=float(lr))
                for i, lr in enumerate(lrs)
            ],
        }
        steps = {"population": population_opt.step}
        steps.update({name: _step_all(optimizers) for name, optimizers in separate.items()})
        times = median_seconds(steps, repeats, warmup=3, sync=lambda: None)
        print(
            f"  {members} x {size:>7,d} params: one population step "
            f"{times['population'] * 1e3:7.2f} ms",
            end="",
        )
        for name in separate:
            speedup = times[name] / times["population"]
            print(f" | {name} {times[name] * 1e3:7.2f} ms ({speedup:.1f}x)", end="")
        print()


def _step_all(optimizers: list) -> Callable[[], None]:
    def step() -> None:
        for optimizer in optimizers:
            optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--sections", default="cpu,gpu,population")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time, steadier on a busy machine (use with --threads 1)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"torch {torch.__version__}, clock: {args.clock}")
    sections = {"cpu": cpu_section, "gpu": gpu_section, "population": population_section}
    for name in args.sections.split(","):
        sections[name](args.repeats)


if __name__ == "__main__":
    main()
