-- wrk script for tests/bench/hot_reads.py: each request is a random line of HIL_BENCH_REQUESTS,
-- "METHOD<TAB>PATH<TAB>BODY" (the body may be empty; a JSON body gets its Content-Type).
-- Requests are formatted once in init(), so per request wrk only picks one at random.
-- done() (report.lua) prints one line "HILBENCH {json}" that the script parses.

local pool = {}

function init(args)
    local file = assert(io.open(os.getenv("HIL_BENCH_REQUESTS"), "r"))
    for line in file:lines() do
        local method, path, body = line:match("^(%u+)\t([^\t]+)\t(.*)$")
        assert(method, "bad request line: " .. line)
        if body == "" then
            pool[#pool + 1] = wrk.format(method, path)
        else
            -- A headers table replaces wrk.headers (the -H ones, Connection: close among them): merge them.
            local headers = { ["Content-Type"] = "application/json" }
            for name, value in pairs(wrk.headers) do headers[name] = value end
            pool[#pool + 1] = wrk.format(method, path, headers, body)
        end
    end
    file:close()
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
    return pool[math.random(#pool)]
end

dofile(os.getenv("HIL_BENCH_DIR") .. "/report.lua")  -- done(): the HILBENCH line
