-- wrk script: GetDICOMImportJob requests spread over random paths from paths.txt
-- ("<status> <path>" lines written by gen_fixture.py).
--   HIL_BENCH_PATHS  the paths file (lines may carry a SigV4 X-Amz-Date and Authorization, tab-separated)
--   HIL_BENCH_MIX    "hit,miss,invalid" percentages (default "80,10,10"): existing jobs (200),
--                    unknown jobs or datastores (404), invalid ids (400)
-- Requests are formatted once in init(), so per request wrk only picks one at random.
-- done() (report.lua) prints one line "HILBENCH {json}" that bench.py parses.

local pools = { ["200"] = {}, ["404"] = {}, ["400"] = {} }
local cut_hit, cut_miss

function init(args)
    local file = assert(io.open(os.getenv("HIL_BENCH_PATHS"), "r"))
    for line in file:lines() do
        -- "<status> <path>", or signed: "<status> <path>\t<X-Amz-Date>\t<Authorization>"
        local status, path, date, authorization = line:match("^(%d+) ([^\t]+)\t([^\t]+)\t(.+)$")
        local headers = nil
        if status then
            headers = { ["X-Amz-Date"] = date, ["Authorization"] = authorization }
        else
            status, path = line:match("^(%d+) (.+)$")
        end
        local pool = pools[status]
        pool[#pool + 1] = wrk.format("GET", path, headers)
    end
    file:close()
    local hit, miss = (os.getenv("HIL_BENCH_MIX") or "80,10,10"):match("^(%d+),(%d+),(%d+)$")
    cut_hit = tonumber(hit)
    cut_miss = cut_hit + tonumber(miss)
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
    local r = math.random(100)
    local pool
    if r <= cut_hit then
        pool = pools["200"]
    elseif r <= cut_miss then
        pool = pools["404"]
    else
        pool = pools["400"]
    end
    return pool[math.random(#pool)]
end

dofile(os.getenv("HIL_BENCH_DIR") .. "/report.lua")  -- done(): the HILBENCH line
