-- wrk script for the scheduling-throughput bench: every request schedules one job under a name
-- no other request uses, so each one is a real insert (no overwrite, no 409).
--
--   wrk -t2 -c64 -d10s --latency -s bench/wrk/schedule-jobs.lua http://127.0.0.1:PORT -- <prefix>
--
-- Request: POST /v1.0/jobs/<prefix>-<thread>-<counter> with a dueTime in 2030, so the engine
-- keeps none of them in memory and the bench measures the durable write path alone.
-- done() prints one line, "WRK_JSON {...}", read by bench/lib/wrk.ts: the responses counted per
-- status and the requests sent (both summed over threads), wrk's error counters and latency.
-- Requests sent minus responses received = requests still in flight when wrk stopped.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  prefix = args[1] or "bench"
  sent = 0
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"dueTime":"2030-01-01T00:00:00Z","data":{"n":1}}'
end

function request()
  sent = sent + 1
  return wrk.format(nil, "/v1.0/jobs/" .. prefix .. "-" .. id .. "-" .. sent)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total_sent, merged = 0, {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"durationUs":%d,"responses":%d,"sent":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.duration, summary.requests, total_sent, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
