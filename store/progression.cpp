#include "store/progression.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hil::store {
namespace {

bool is_terminal_job_status(std::string_view status) { return status == "COMPLETED" || status == "FAILED"; }

// The shared walk: `apply(step, reached_at)` makes one reached step the resource's state.
// `floor`: the resource's latest known moment (a job's submittedAt, a datastore's updatedAt),
// which no step may date from before.
template <class Apply>
bool advance_steps(const std::vector<progression_step>& steps, progress_state& p, api::epoch_millis now, bool polling,
                   api::epoch_millis floor, Apply apply) {
    bool changed = false;
    api::epoch_millis previous_step_at = floor;  // a step never dates from before the one it follows
    while (p.steps_reached < steps.size()) {
        const auto& step = steps[p.steps_reached];
        api::epoch_millis reached_at = now;
        if (step.after_polls) {
            // A poll step is applied by the poll that sees it, so nobody sees it before the
            // poller; it happened when the poll that made the count was answered.
            if (!polling || p.polls < *step.after_polls) break;
            if (*step.after_polls > 0 && p.last_polled_at != 0) reached_at = std::max(p.last_polled_at, previous_step_at);
        } else if (step.after_millis) {
            reached_at = p.started_at + *step.after_millis;
            if (now < reached_at) break;
        }
        apply(step, reached_at);
        previous_step_at = reached_at;
        ++p.steps_reached;
        changed = true;
    }
    return changed;
}

bool advance_job(import_job& job, api::epoch_millis now, bool polling) {
    return advance_steps(job.progression, job.progress, now, polling, job.submitted_at.value_or(0),
                         [&](const progression_step& step, api::epoch_millis at) {
                             job.job_status = step.status;
                             if (step.message) job.message = step.message;
                             if (is_terminal_job_status(step.status)) job.ended_at = step.ended_at ? *step.ended_at : at;
                         });
}

bool advance_datastore(datastore& d, api::epoch_millis now, bool polling) {
    return advance_steps(d.progression, d.progress, now, polling, d.updated_at.value_or(0), [&](const progression_step& step, api::epoch_millis at) {
        d.datastore_status = step.status;
        d.updated_at = at;
    });
}

}  // namespace

bool advance(import_job& job, api::epoch_millis now) { return advance_job(job, now, false); }

bool settled(const std::vector<progression_step>& steps, const progress_state& p) {
    return p.steps_reached >= steps.size() || steps[p.steps_reached].after_polls.has_value();
}
bool advance(datastore& d, api::epoch_millis now) { return advance_datastore(d, now, false); }

bool finished(const std::vector<progression_step>& steps, const progress_state& p) { return p.steps_reached >= steps.size(); }

bool awaits_polls(const std::vector<progression_step>& steps, const progress_state& p) {
    return std::any_of(steps.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(p.steps_reached, steps.size())),
                       steps.end(), [](const progression_step& s) { return s.after_polls.has_value(); });
}

import_job poll(import_job& job, api::epoch_millis now) {
    advance_job(job, now, true);
    ++job.progress.polls;
    job.progress.last_polled_at = now;
    return job;
}

datastore poll(datastore& d, api::epoch_millis now) {
    advance_datastore(d, now, true);
    ++d.progress.polls;
    d.progress.last_polled_at = now;
    return d;
}

progress_state fresh_progress(api::epoch_millis now) { return progress_state{0, 0, now, 0}; }

std::string progression_to_json(const std::vector<progression_step>& steps, std::string_view status_member) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const auto& s : steps) {
        w.StartObject();
        w.Key(status_member.data(), static_cast<rapidjson::SizeType>(status_member.size()));
        w.String(s.status.data(), static_cast<rapidjson::SizeType>(s.status.size()));
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

api::result<std::vector<progression_step>> progression_from_json(std::string_view text, std::string_view status_member) {
    const auto corrupt = [&] {
        return api::error::internal("stored progression is corrupt: " + api::display_value(text, 128));
    };
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsArray()) return corrupt();
    const std::string key(status_member);
    std::vector<progression_step> steps;
    for (const auto& v : doc.GetArray()) {
        if (!v.IsObject()) return corrupt();
        const auto status = v.FindMember(key.c_str());
        if (status == v.MemberEnd() || !status->value.IsString()) return corrupt();
        progression_step s;
        s.status = status->value.GetString();
        if (v.HasMember("afterPolls") && v["afterPolls"].IsUint64()) s.after_polls = v["afterPolls"].GetUint64();
        if (v.HasMember("afterSeconds") && v["afterSeconds"].IsNumber()) {
            s.after_millis = std::llround(v["afterSeconds"].GetDouble() * 1000.0);
        }
        if (s.after_polls.has_value() == s.after_millis.has_value()) return corrupt();
        if (v.HasMember("message") && v["message"].IsString()) s.message = v["message"].GetString();
        if (v.HasMember("endedAt") && v["endedAt"].IsNumber()) s.ended_at = std::llround(v["endedAt"].GetDouble() * 1000.0);
        steps.push_back(std::move(s));
    }
    return steps;
}

api::result<std::vector<progression_step>> parse_progression_spec(std::string_view spec, const api::shape& status_shape) {
    std::vector<progression_step> steps;
    std::size_t index = 0;
    while (true) {
        const auto comma = spec.find(',');
        const auto item = spec.substr(0, comma);
        ++index;
        const auto bad = [&](const std::string& why) {
            return api::error::validation("step " + std::to_string(index) + " '" + api::display_value(item) + "': " + why);
        };
        const auto at = item.find('@');
        if (at == std::string_view::npos) return bad("is not STATUS@POLLS or STATUS@DURATION (e.g. COMPLETED@1, ACTIVE@2s)");
        progression_step step;
        step.status = std::string(item.substr(0, at));
        if (const auto v = api::violations(status_shape, step.status); !v.empty()) return bad(v.front());
        auto when = item.substr(at + 1);
        std::uint64_t scale = 0;  // 0: polls
        if (when.size() > 2 && when.substr(when.size() - 2) == "ms") {
            scale = 1;
            when.remove_suffix(2);
        } else if (!when.empty() && when.back() == 's') {
            scale = 1000;
            when.remove_suffix(1);
        }
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(when.data(), when.data() + when.size(), n);
        if (when.empty() || ec != std::errc() || end != when.data() + when.size() || n > 31'536'000'000ULL) {
            return bad("'" + api::display_value(when) + "' is not a whole number of polls, seconds (2s) or milliseconds (500ms)");
        }
        if (scale == 0) {
            step.after_polls = n;
        } else {
            step.after_millis = static_cast<api::epoch_millis>(n * scale);
        }
        steps.push_back(std::move(step));
        if (comma == std::string_view::npos) break;
        spec.remove_prefix(comma + 1);
    }
    return steps;
}

}  // namespace hil::store
