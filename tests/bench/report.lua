-- What every wrk script of tests/bench/ prints when a run ends: one line "HILBENCH {json}" that
-- the Python side parses. Loaded by mix.lua and hot.lua with dofile (HIL_BENCH_DIR names this folder).
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'HILBENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
        '"timeout":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
        latency:percentile(50), latency:percentile(99), latency.max))
end
