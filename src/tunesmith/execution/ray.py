"""Ray execution: trials run as Ray tasks on a cluster's CPUs and GPUs; the driver asks and tells.

    study.optimize(objective, n_trials=500, executor=ts.RayExecutor(address="auto",
                   resources_per_trial={"cpu": 1, "gpu": 0.5}))

A task whose worker dies (killed, out of memory, node lost) fails its trial, which the study
runs again when it was created with ``retries=N``. Ray's own task retries are off, so each
re-run is a visible trial in the study.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Mapping
from typing import Any

from tunesmith.execution.isolated import WorkerDied

__all__ = ["RayExecutor", "as_executor"]


def _ray() -> Any:
    try:
        import ray
    except ModuleNotFoundError:
        raise ImportError('Ray execution needs ray: pip install "tunesmith[ray]"') from None
    return ray


class RayExecutor(cf.Executor):
    """A ``concurrent.futures`` executor over Ray tasks.

    Needs ``pip install "tunesmith[ray]"``; Ray starts at the first ``submit``.

    Args:
        address: None starts (or joins) a local Ray instance, "auto" joins the running
            cluster, "ray://host:10001" a remote one.
        resources_per_trial: Resources of each trial's task, e.g. {"cpu": 1, "gpu": 0.5}
            (default {"cpu": 1}).
        max_concurrent: Trials in flight at once; None for the ``n_jobs`` given to optimize.
        init_kwargs: More keyword arguments for ``ray.init``.

    Raises:
        ValueError: A resource is not a number >= 0, or ``max_concurrent`` is not an int >= 1.

    Examples:
        ```py
        executor = ts.RayExecutor(address="auto", resources_per_trial={"cpu": 1, "gpu": 1})
        study.optimize(objective, n_trials=100, executor=executor)
        ```
    """

    def __init__(
        self,
        address: str | None = None,
        resources_per_trial: Mapping[str, float] | None = None,
        max_concurrent: int | None = None,
        init_kwargs: Mapping[str, Any] | None = None,
    ):
        resources = dict(resources_per_trial or {"cpu": 1})
        for key, value in resources.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    "The 'resources_per_trial' parameter of RayExecutor must map resource names "
                    f"to numbers >= 0. Got {key}={value!r} instead."
                )
        if max_concurrent is not None and (
            isinstance(max_concurrent, bool)
            or not isinstance(max_concurrent, int)
            or max_concurrent < 1
        ):
            raise ValueError(
                "The 'max_concurrent' parameter of RayExecutor must be an int >= 1 or None. "
                f"Got {max_concurrent!r} instead."
            )
        self.address = address
        self.resources_per_trial = resources
        self.max_concurrent = max_concurrent
        self.init_kwargs = dict(init_kwargs or {})
        self._refs: dict[cf.Future, Any] = {}
        self._remotes: dict[Any, Any] = {}  # function -> its Ray remote, exported once
        self._puts: dict[int, tuple[Any, Any]] = {}  # id(callable arg) -> (arg, object ref)

    def _options(self) -> dict[str, Any]:
        res = dict(self.resources_per_trial)
        options: dict[str, Any] = {"max_retries": 0, "retry_exceptions": False}
        options["num_cpus"] = res.pop("cpu", 1)
        options["num_gpus"] = res.pop("gpu", 0)
        if res:
            options["resources"] = res
        return options

    def _ensure_started(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            kwargs = dict(self.init_kwargs)
            if self.address is None:  # a local instance listens on loopback only
                kwargs.setdefault("_node_ip_address", "127.0.0.1")
            ray.init(
                address=self.address,
                ignore_reinit_error=True,
                include_dashboard=False,
                log_to_driver=False,
                **kwargs,
            )
        return ray

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Run ``fn(*args, **kwargs)`` as a Ray task (a callable argument is shipped once).

        Args:
            fn: The function to run.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Returns:
            A future of its result; a dead worker sets ``WorkerDied``.

        Raises:
            ImportError: Ray is not installed.
        """
        ray = self._ensure_started()
        remote = self._remotes.get(fn)
        if remote is None:
            remote = self._remotes[fn] = ray.remote(fn).options(**self._options())
        ref = remote.remote(*(self._shared(ray, a) for a in args), **kwargs)
        future: cf.Future = cf.Future()
        self._refs[future] = ref
        ref.future().add_done_callback(lambda inner: self._settle(future, inner))
        return future

    def _shared(self, ray: Any, arg: Any) -> Any:
        """The objective goes to Ray's object store once, not with every trial."""
        if not callable(arg):
            return arg
        held = self._puts.get(id(arg))
        if held is None or held[0] is not arg:
            held = self._puts[id(arg)] = (arg, ray.put(arg))
        return held[1]

    def _settle(self, future: cf.Future, inner: cf.Future) -> None:
        self._refs.pop(future, None)
        ray = _ray()
        try:
            future.set_result(inner.result())
        except (
            ray.exceptions.WorkerCrashedError,
            ray.exceptions.NodeDiedError,
            ray.exceptions.OutOfMemoryError,
            ray.exceptions.TaskCancelledError,
        ) as exc:
            future.set_exception(WorkerDied(f"the Ray task's worker died: {type(exc).__name__}"))
        except ray.exceptions.RayTaskError as exc:  # the objective raised inside the task
            future.set_exception(exc.as_instanceof_cause())
        except BaseException as exc:  # noqa: BLE001
            future.set_exception(exc)

    def kill(self, future: cf.Future) -> None:
        """Cancel the Ray task behind ``future`` (forcefully: its worker is killed).

        Args:
            future: A future ``submit`` returned.
        """
        ref = self._refs.get(future)
        if ref is not None:
            _ray().cancel(ref, force=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop using the executor; Ray itself keeps running.

        Args:
            wait: Accepted for the ``concurrent.futures`` interface; nothing is waited for.
            cancel_futures: Kill the tasks still in flight.
        """
        if cancel_futures:
            for future in list(self._refs):
                self.kill(future)


def as_executor(kind: Any, n_jobs: int) -> RayExecutor:
    """The RayExecutor for ``executor="ray"`` (local instance) or the one given."""
    return kind if isinstance(kind, RayExecutor) else RayExecutor()


def concurrency(executor: Any, n_jobs: int) -> int:
    """How many trials to keep in flight on ``executor``."""
    if isinstance(executor, RayExecutor) and executor.max_concurrent is not None:
        return executor.max_concurrent
    return n_jobs
