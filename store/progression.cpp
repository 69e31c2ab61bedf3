#include "store/progression.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

namespace hil::store {
namespace {

bool is_terminal(std::string_view status) { return status == "COMPLETED" || status == "FAILED"; }

}  // namespace

bool advance(import_job& job, api::epoch_millis now) {
    bool changed = false;
    auto& p = job.progress;
    while (p.steps_reached < job.progression.size()) {
        const auto& step = job.progression[p.steps_reached];
        api::epoch_millis reached_at = now;
        if (step.after_polls) {
            if (p.polls < *step.after_polls) break;
        } else if (step.after_millis) {
            reached_at = p.started_at + *step.after_millis;
            if (now < reached_at) break;
        }
        job.job_status = step.job_status;
        if (step.message) job.message = step.message;
        if (is_terminal(step.job_status)) job.ended_at = step.ended_at ? *step.ended_at : reached_at;
        ++p.steps_reached;
        changed = true;
    }
    return changed;
}

import_job poll(import_job& job, api::epoch_millis now) {
    advance(job, now);
    import_job answer = job;
    ++job.progress.polls;
    advance(job, now);
    return answer;
}

std::string progression_to_json(const std::vector<progression_step>& steps) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const auto& s : steps) {
        w.StartObject();
        w.Key("jobStatus");
        w.String(s.job_status.data(), static_cast<rapidjson::SizeType>(s.job_status.size()));
        if (s.after_polls) {
            w.Key("afterPolls");
            w.Uint64(*s.after_polls);
        }
        if (s.after_millis) {
            w.Key("afterSeconds");
            w.Double(static_cast<double>(*s.after_millis) / 1000.0);
        }
        if (s.message) {
            w.Key("message");
            w.String(s.message->data(), static_cast<rapidjson::SizeType>(s.message->size()));
        }
        if (s.ended_at) {
            w.Key("endedAt");
            w.Double(static_cast<double>(*s.ended_at) / 1000.0);
        }
        w.EndObject();
    }
    w.EndArray();
    return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::vector<progression_step>> progression_from_json(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsArray()) return std::nullopt;
    std::vector<progression_step> steps;
    for (const auto& v : doc.GetArray()) {
        if (!v.IsObject() || !v.HasMember("jobStatus") || !v["jobStatus"].IsString()) return std::nullopt;
        progression_step s;
        s.job_status = v["jobStatus"].GetString();
        if (v.HasMember("afterPolls") && v["afterPolls"].IsUint64()) s.after_polls = v["afterPolls"].GetUint64();
        if (v.HasMember("afterSeconds") && v["afterSeconds"].IsNumber()) {
            s.after_millis = std::llround(v["afterSeconds"].GetDouble() * 1000.0);
        }
        if (v.HasMember("message") && v["message"].IsString()) s.message = v["message"].GetString();
        if (v.HasMember("endedAt") && v["endedAt"].IsNumber()) s.ended_at = std::llround(v["endedAt"].GetDouble() * 1000.0);
        steps.push_back(std::move(s));
    }
    return steps;
}

}  // namespace hil::store
