-- wrk script for the write benchmarks (bench/_serving.py): POST a JSON body.
--
-- Environment: WRK_BODY (the JSON body), WRK_ORIGIN (the Origin header), WRK_SECONDS (how
-- long to send), WRK_USER_AGENT (optional: the User-Agent header). Use as many threads as
-- connections (-t N -c N): each thread then has one connection, and once WRK_SECONDS have
-- passed it stops right after a response, with nothing in flight. So every request the
-- server received got its answer counted, and the number of 2xx answers can be compared
-- with the rows written.
--
-- A body that must differ on each request (a new person per contact message): WRK_UNIQUE
-- names a marker in WRK_BODY, replaced in each request by "<run>.<thread>.<n>" (WRK_RUN,
-- a number, tells rounds apart); with WRK_FORWARDED=1 each request also comes from an
-- address of its own, in X-Forwarded-For (10.x.y.z, as a reverse proxy would append it).
-- Without WRK_UNIQUE the request is built once, as wrk does by default.
--
-- At the end one line "WRK_RESULT {json}" sums up what the threads saw, with the latency
-- histogram.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } wrk_post_timespec;
int clock_gettime(int clk_id, wrk_post_timespec *tp);
]])
local ts = ffi.new("wrk_post_timespec")
local function now() -- CLOCK_MONOTONIC, seconds
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = os.getenv("WRK_ORIGIN")
if os.getenv("WRK_USER_AGENT") then -- a browser's, where robots are dropped
  wrk.headers["User-Agent"] = os.getenv("WRK_USER_AGENT")
end

local threads = {}
local started = nil

function setup(thread)
  if not started then
    started = now()
  end
  thread:set("deadline", started + tonumber(os.getenv("WRK_SECONDS")))
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  ok, other, last, stopped = 0, 0, 0, 0
  codes, sample = "", ""
  sent = 0
end

local unique = os.getenv("WRK_UNIQUE") or ""
if unique ~= "" then
  local marker = unique:gsub("%p", "%%%0") -- a plain string, not a pattern
  local run = tonumber(os.getenv("WRK_RUN") or "0")
  local forwarded = os.getenv("WRK_FORWARDED") == "1"

  function request()
    sent = sent + 1
    local token = string.format("%d.%d.%d", run, number, sent)
    local headers = wrk.headers -- this thread's own table: wrk.format would replace, not add
    if forwarded then
      local source = (run * 32 + number) % 256
      local high, low = math.floor(sent / 256) % 256, sent % 256
      headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", source, high, low)
    end
    return wrk.format(nil, nil, headers, (wrk.body:gsub(marker, token)))
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
    if #codes < 200 then
      codes = codes .. status .. " "
    end
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
  last = now()
  if last >= deadline then
    stopped = 1
    wrk.thread:stop()
  end
end

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local total_ok, total_other, finished, all_stopped = 0, 0, 0, true
  local all_codes, first_sample = "", ""
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_other = total_other + thread:get("other")
    finished = math.max(finished, thread:get("last"))
    all_stopped = all_stopped and thread:get("stopped") == 1
    all_codes = all_codes .. thread:get("codes")
    if first_sample == "" then
      first_sample = thread:get("sample")
    end
  end
  -- The latency histogram, "value:count" pairs in µs, so that rounds can be merged.
  local hist = {}
  for i = 1, #latency do
    local value, count = latency(i)
    hist[#hist + 1] = string.format("%d:%d", value, count)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "ok": %d, "other": %d, "elapsed": %.6f, '
      .. '"clean_stop": %s, "p50_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, '
      .. '"codes": %s, "sample": %s, "hist": "%s"}\n',
    summary.requests, total_ok, total_other, math.max(finished - started, 1e-9),
    tostring(all_stopped), latency:percentile(50), latency:percentile(99), latency.mean,
    latency.max, e.connect, e.read, e.write, e.timeout, quote(all_codes), quote(first_sample),
    table.concat(hist, " ")
  ))
end
