"""A Lua 5.1 sandbox for health checks and resource actions, with an instruction budget.

Scripts see the object as the global ``obj`` (and ``actionParams`` for actions) and the
safe parts of the standard library: base functions, ``string``, ``table``, ``math`` and an
``os`` limited to ``time``/``date``/``difftime`` driven by a clock the caller injects (this
room reads no clocks). ``io``, ``debug``, file loading and ``os.execute`` are never exposed,
even when ``useOpenLibs`` is set; ``useOpenLibs`` adds ``coroutine``. Every run gets a fresh
global table, so scripts cannot leak state into one another. A debug hook counts
instructions (also inside coroutines) and stops an endless loop; a memory cap stops a
runaway allocation.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from lupa import lua51

from kaiun.health.errors import LuaBudgetExceeded, LuaScriptError

DEFAULT_INSTRUCTION_LIMIT = 20_000_000
DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
BUDGET_MESSAGE = "script exceeded its instruction budget (endless loop?)"
# The hook fires every this many VM instructions; the budget is counted in these steps.
_HOOK_STEP = 1000
# Most quantifiers (* + - ?) a Lua pattern may hold; see the driver for why.
MAX_QUANTIFIERS = 6

_DRIVER = r"""
local sethook, cocreate, coresume, costatus, coyield, corunning =
  debug.sethook, coroutine.create, coroutine.resume, coroutine.status, coroutine.yield,
  coroutine.running
local loadstring, setfenv, pairs, error, pcall, xpcall = loadstring, setfenv, pairs, error,
  pcall, xpcall
local base_names = {"assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
  "tonumber", "tostring", "type", "unpack", "rawequal", "rawget", "rawset", "setmetatable",
  "getmetatable", "_VERSION"}
local base = {}
for _, name in pairs(base_names) do base[name] = _G[name] end
-- Lua's pattern matcher backtracks in C, out of the instruction budget's sight: a pattern
-- like ("a*"):rep(8) .. "b" runs for minutes. Patterns with more than MAX_QUANTIFIERS
-- quantifiers are refused (method calls such as s:find go through these too).
local sub, byte = string.sub, string.byte
local function quantifiers(p)
  local n, i, len = 0, 1, #p
  while i <= len do
    local c = sub(p, i, i)
    if c == "%" then
      i = i + 2
    elseif c == "[" then
      i = i + 1
      if sub(p, i, i) == "^" then i = i + 1 end
      if sub(p, i, i) == "]" then i = i + 1 end
      while i <= len and sub(p, i, i) ~= "]" do
        if sub(p, i, i) == "%" then i = i + 1 end
        i = i + 1
      end
      i = i + 1
    else
      if c == "*" or c == "+" or c == "-" or c == "?" then n = n + 1 end
      i = i + 1
    end
  end
  return n
end
local function guarded(fn, plain_arg)
  return function(s, pattern, a, b)
    if type(pattern) == "string" and not (plain_arg and b) and
        quantifiers(pattern) > __MAX_QUANTIFIERS__ then
      error("pattern '" .. pattern .. "' has too many quantifiers for the sandbox", 2)
    end
    return fn(s, pattern, a, b)
  end
end
string.find = guarded(string.find, true)
string.match = guarded(string.match)
string.gmatch = guarded(string.gmatch)
string.gsub = guarded(string.gsub)
string.dump = nil
local libs = {string = string, table = table, math = math}
getmetatable("").__metatable = false

local function copy(t) local r = {} for k, v in pairs(t) do r[k] = v end return r end

local function compile(source, name)
  local chunk, err = loadstring(source, "=" .. name)
  if chunk == nil then return false, err end
  return chunk, nil
end

local function run(chunk, obj, params, open_libs, limit, os_lib, budget_message)
  local env = copy(base)
  for name, lib in pairs(libs) do env[name] = copy(lib) end
  env.os = copy(os_lib)
  env.obj = obj
  env.actionParams = params
  env._G = env
  env.print = function() end
  env.require = function(name)
    if name == "os" then return env.os end
    error("module '" .. tostring(name) .. "' is not available in the sandbox", 2)
  end
  env.loadstring = function(source, name)
    -- Precompiled bytecode can corrupt memory in Lua 5.1: only source text is accepted.
    if type(source) == "string" and byte(source, 1) == 27 then
      return nil, "binary chunks are not accepted"
    end
    local f, err = loadstring(source, name)
    if f ~= nil then setfenv(f, env) end
    return f, err
  end
  local steps = 0
  local function hook()
    steps = steps + 1
    if steps > limit then error(budget_message, 0) end
  end
  -- A protected call must not swallow the budget: once it is spent, re-raise outside.
  local function guard(...)
    if steps > limit then error(budget_message, 0) end
    return ...
  end
  env.pcall = function(...) return guard(pcall(...)) end
  env.xpcall = function(...) return guard(xpcall(...)) end
  if open_libs then
    local function create(f)
      local co = cocreate(f)
      sethook(co, hook, "", __STEP__)
      return co
    end
    env.coroutine = {
      create = create, resume = function(...) return guard(coresume(...)) end,
      status = costatus, yield = coyield,
      running = corunning,
      wrap = function(f)
        local co = create(f)
        return function(...)
          local res = {guard(coresume(co, ...))}
          if not res[1] then error(res[2], 2) end
          return unpack(res, 2)
        end
      end,
    }
  end
  setfenv(chunk, env)
  sethook(hook, "", __STEP__)
  local ok, result = pcall(chunk)
  sethook()
  return ok, result
end

-- Lua closures around the Python clock functions, so scripts see plain functions.
local function make_os(time, date, difftime)
  return {
    time = function(...) return time(...) end,
    date = function(...) return date(...) end,
    difftime = function(...) return difftime(...) end,
  }
end

return compile, run, make_os
""".replace("__STEP__", str(_HOOK_STEP)).replace("__MAX_QUANTIFIERS__", str(MAX_QUANTIFIERS))

Clock = Callable[[], datetime]


class LuaSandbox:
    """Compiles and runs Lua 5.1 scripts on Kubernetes objects under a budget.

    One sandbox holds one Lua runtime and a cache of compiled scripts; it is cheap to
    reuse and safe to share, as each run gets fresh globals.
    """

    def __init__(
        self,
        *,
        instruction_limit: int = DEFAULT_INSTRUCTION_LIMIT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        clock: Clock | None = None,
    ) -> None:
        """Create a sandbox; ``clock`` backs ``os.time``/``os.date`` (absent: they fail)."""
        self._steps = max(1, instruction_limit // _HOOK_STEP)
        self._memory_limit = memory_limit
        self._clock = clock
        self._runtime: Any = None
        self._compile: Any = None
        self._run: Any = None
        self._os: Any = None
        self._chunks: dict[str, Any] = {}

    def _start(self) -> None:
        rt = lua51.LuaRuntime(
            register_eval=False,
            register_builtins=False,
            # The safe os functions are Python callables: without this filter a script could
            # walk their attributes (__self__, __globals__…) into Python and out of the box.
            attribute_filter=_deny_attribute,
            unpack_returned_tuples=True,
            max_memory=self._memory_limit,
        )
        compile_fn, run_fn, make_os = rt.execute(_DRIVER)
        rt.execute("python = nil; package.loaded.python = nil")
        self._runtime, self._compile, self._run = rt, compile_fn, run_fn
        self._os = make_os(self._os_time, self._os_date, _os_difftime)
        self._chunks = {}

    def _chunk(self, script: str, name: str) -> Any:
        chunk = self._chunks.get(script)
        if chunk is None:
            chunk, err = self._compile(script, name)
            if chunk is False:
                raise LuaScriptError(f"cannot compile {name}: {err}")
            self._chunks[script] = chunk
        return chunk

    def run(
        self,
        script: str,
        obj: Mapping[str, Any],
        *,
        name: str = "script.lua",
        open_libs: bool = False,
        params: Mapping[str, str] | None = None,
    ) -> object:
        """Run ``script`` with ``obj`` as its global and return its result as Python data."""
        if self._runtime is None:
            self._start()
        rt = self._runtime
        chunk = self._chunk(script, name)
        try:
            table = rt.table_from(obj, recursive=True)
            lua_params = rt.table_from(dict(params or {}))
            ok, result = self._run(
                chunk, table, lua_params, open_libs, self._steps, self._os, BUDGET_MESSAGE
            )
        except lua51.LuaMemoryError as exc:
            self._runtime = None  # start afresh: the runtime hit its memory cap
            raise LuaBudgetExceeded(f"{name}: script exceeded its memory budget") from exc
        except lua51.LuaError as exc:
            raise LuaScriptError(f"{name}: {_first_line(str(exc))}") from exc
        if not ok:
            message = _first_line(str(result))
            if message == BUDGET_MESSAGE:
                raise LuaBudgetExceeded(f"{name}: {message}")
            if message == "not enough memory":
                self._runtime = None
                raise LuaBudgetExceeded(f"{name}: script exceeded its memory budget")
            raise LuaScriptError(message if message.startswith(name) else f"{name}: {message}")
        return from_lua(result)

    def _now(self) -> datetime:
        if self._clock is None:
            raise lua51.LuaError("os.time and os.date need a clock, and none was configured")
        return self._clock()

    def _os_time(self, table: Any = None) -> int:
        if table is None:
            return int(self._now().timestamp())
        fields = from_lua(table)
        if not isinstance(fields, dict):
            raise lua51.LuaError("bad argument #1 to 'time' (table expected)")
        moment = datetime(
            int(fields["year"]),
            int(fields["month"]),
            int(fields["day"]),
            int(fields.get("hour", 12)),
            int(fields.get("min", 0)),
            int(fields.get("sec", 0)),
        )
        # Lua's os.time reads the table as local time; kaiun's sandbox runs in UTC.
        return calendar.timegm(moment.timetuple())

    def _os_date(self, fmt: str = "%c", when: float | None = None) -> Any:
        moment = (
            self._now() if when is None else datetime.fromtimestamp(float(when), tz=UTC)
        ).astimezone(UTC)
        fmt = fmt.removeprefix("!")
        if fmt.startswith("*t"):
            return self._runtime.table_from(
                {
                    "year": moment.year,
                    "month": moment.month,
                    "day": moment.day,
                    "hour": moment.hour,
                    "min": moment.minute,
                    "sec": moment.second,
                    "wday": moment.isoweekday() % 7 + 1,
                    "yday": moment.timetuple().tm_yday,
                    "isdst": False,
                }
            )
        return moment.strftime(fmt)


def _deny_attribute(obj: object, name: object, is_setting: bool) -> str:
    raise AttributeError("Python attributes are not reachable from the Lua sandbox")


def _os_difftime(t2: float, t1: float = 0) -> float:
    return float(t2) - float(t1)


def _first_line(message: str) -> str:
    return message.split("\nstack traceback:", 1)[0].strip()


def from_lua(value: object) -> object:
    """Lua values as JSON-like Python data, the way Argo CD's JSON encoder reads them.

    A table with keys 1..n is a list; an empty table is an empty list (as in Argo CD);
    integral numbers come back as ints.
    """
    if lua51.lua_type(value) == "table":
        pairs = list(value.items())  # type: ignore[attr-defined]
        if not pairs:
            return []
        keys = [k for k, _ in pairs]
        if all(isinstance(k, int) and not isinstance(k, bool) for k in keys) and sorted(
            keys
        ) == list(range(1, len(keys) + 1)):
            ordered = sorted(pairs, key=lambda kv: kv[0])
            return [from_lua(v) for _, v in ordered]
        return {str(k): from_lua(v) for k, v in pairs}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
