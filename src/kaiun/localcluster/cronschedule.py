"""CronJob ``spec.schedule`` syntax, checked like ``robfig/cron/v3`` ``ParseStandard``.

Kubernetes reports the parser's error text verbatim, so ``schedule_error`` returns the same
words (``expected exactly 5 fields, found 1: [bad]``) or ``None`` for a valid schedule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (min, max, names) for minute, hour, day of month, month, day of week.
_BOUNDS: tuple[tuple[int, int, Mapping[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 6, _DAYS),
)
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_DURATION = re.compile(r"^[-+]?(0|(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")


class _CronError(Exception):
    pass


def _parse_int(expr: str) -> int:
    if not re.fullmatch(r"[-+]?\d+", expr):
        raise _CronError(
            f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax'
        )
    number = int(expr)
    if number < 0:
        raise _CronError(f"negative number ({number}) not allowed: {expr}")
    return number


def _parse_int_or_name(expr: str, names: Mapping[str, int]) -> int:
    if expr.lower() in names:
        return names[expr.lower()]
    return _parse_int(expr)


def _check_range(expr: str, low: int, high: int, names: Mapping[str, int]) -> None:
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _parse_int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _parse_int_or_name(low_high[1], names)
        else:
            raise _CronError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if len(low_high) == 1:
            end = high  # "N/step" means "N-max/step"
    elif len(range_and_step) > 2:
        raise _CronError(f"too many slashes: {expr}")
    if start < low:
        raise _CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise _CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise _CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise _CronError(f"step of range should be a positive number: {expr}")


def _check_descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith("@every "):
        duration = spec[len("@every ") :]
        if not _DURATION.match(duration):
            raise _CronError(
                f'failed to parse duration {spec}: time: invalid duration "{duration}"'
            )
        return
    raise _CronError(f"unrecognized descriptor: {spec}")


def schedule_error(spec: str) -> str | None:
    """The robfig/cron error for ``spec``, or ``None`` when it parses."""
    try:
        if not spec:
            raise _CronError("empty spec string")
        if spec.startswith(("TZ=", "CRON_TZ=")):
            # The time-zone prefix is split off here; Kubernetes rejects it separately.
            _, _, rest = spec.partition(" ")
            spec = rest.strip()
        if spec.startswith("@"):
            _check_descriptor(spec)
            return None
        fields = spec.split()
        if len(fields) != 5:
            raise _CronError(
                f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
            )
        for field, (low, high, names) in zip(fields, _BOUNDS, strict=True):
            for expr in field.split(","):
                _check_range(expr, low, high, names)
    except _CronError as err:
        return str(err)
    return None
