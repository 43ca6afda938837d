// gramkit — Limiter: named rules over a Store (see policy.hpp).
#include "ratelimit/policy.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace gramkit::ratelimit {

using namespace std::chrono_literals;

namespace {

// The limit used to peek penalty keys: its rate never matters because
// penalty keys are never acquired, only penalized and peeked.
const Limit kPenaltyProbeLimit{1, std::chrono::seconds(1), 1};

std::string_view kind_of(std::string_view part) {
    const auto colon = part.find(':');
    return colon == std::string_view::npos ? part : part.substr(0, colon);
}

// The part satisfying `selector`, or nullptr.
const std::string* find_part(const Request& r, std::string_view selector) {
    const bool exact = selector.find(':') != std::string_view::npos;
    for (const auto& part : r.parts) {
        if (exact) {
            if (part == selector) return &part;
        } else if (part.size() > selector.size() && part[selector.size()] == ':' &&
                   std::string_view(part).substr(0, selector.size()) == selector) {
            return &part;
        }
    }
    return nullptr;
}

}  // namespace

struct Limiter::RuleSet {
    std::vector<Rule> rules;
};

std::vector<Rule> default_rules() {
    return {
        Rule{"account.graphql", Limit{180, 11min, 20}, {"account", "endpoint:graphql", "action"}},
        Rule{"account.web", Limit{65, 11min, 10}, {"account", "endpoint:web"}},
        Rule{"account.mobile", Limit{189, 30min, 10}, {"account", "endpoint:mobile"}},
    };
}

Limiter::Limiter(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, PenaltyOptions penalties)
    : store_(std::move(store)),
      clock_(clock ? std::move(clock) : SystemClock::shared()),
      penalty_options_(penalties),
      rules_(std::make_shared<const RuleSet>(RuleSet{default_rules()})) {}

std::string Limiter::penalty_key(std::string_view part) {
    std::string k = "penalty|";
    k.append(part);
    return k;
}

Status Limiter::set_rules(std::vector<Rule> rules) {
    std::unordered_set<std::string> names;
    for (const auto& r : rules) {
        if (r.name.empty() || r.name.find('|') != std::string::npos || r.name == "penalty") {
            return fail(ErrorCode::invalid_argument, "rate limit rule: name must be non-empty, not \"penalty\", without '|'",
                        r.name);
        }
        if (!names.insert(r.name).second) {
            return fail(ErrorCode::invalid_argument, "rate limit rule: duplicate name " + r.name, r.name);
        }
        if (auto s = r.limit.validate(); !s) {
            return fail(ErrorCode::invalid_argument, "rate limit rule " + r.name + ": " + s.error().message, r.name);
        }
        if (r.match.empty()) {
            return fail(ErrorCode::invalid_argument, "rate limit rule " + r.name + ": needs at least one selector",
                        r.name);
        }
        for (const auto& sel : r.match) {
            if (sel.empty() || kind_of(sel).empty() || sel.find('|') != std::string::npos) {
                return fail(ErrorCode::invalid_argument,
                            "rate limit rule " + r.name + ": bad selector \"" + sel + "\"", r.name);
            }
        }
    }
    auto next = std::make_shared<const RuleSet>(RuleSet{std::move(rules)});
    std::lock_guard lock(rules_mutex_);
    rules_ = std::move(next);
    return {};
}

std::shared_ptr<const Limiter::RuleSet> Limiter::snapshot() const {
    std::lock_guard lock(rules_mutex_);
    return rules_;
}

std::vector<Rule> Limiter::rules() const { return snapshot()->rules; }

namespace {

struct Applicable {
    const Rule* rule;
    std::string key;
};

std::vector<Applicable> applicable_rules(const std::vector<Rule>& rules, const Request& request) {
    std::vector<Applicable> out;
    for (const auto& rule : rules) {
        std::string key = rule.name;
        bool ok = true;
        for (const auto& sel : rule.match) {
            const std::string* part = find_part(request, sel);
            if (!part) {
                ok = false;
                break;
            }
            key.push_back('|');
            key.append(*part);
        }
        if (ok) out.push_back(Applicable{&rule, std::move(key)});
    }
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Limiter::applicable(const Request& request) const {
    auto set = snapshot();
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& a : applicable_rules(set->rules, request)) out.emplace_back(a.rule->name, std::move(a.key));
    return out;
}

Result<Verdict> Limiter::check(const Request& request, std::uint32_t cost) {
    if (cost == 0) return fail(ErrorCode::invalid_argument, "rate limit: cost must be at least 1", "cost");
    const auto set = snapshot();  // keeps the rules alive for this call
    const auto rules = applicable_rules(set->rules, request);
    for (const auto& a : rules) {
        if (cost > a.rule->limit.burst) {
            return fail(ErrorCode::invalid_argument,
                        "rate limit: cost " + std::to_string(cost) + " exceeds the burst of rule " + a.rule->name +
                            " and could never be allowed",
                        a.rule->name);
        }
    }

    // Phase 1a: penalties on any part of the request.
    Verdict denial;
    bool denied = false;
    for (const auto& part : request.parts) {
        const std::string pk = penalty_key(part);
        GK_ASSIGN_OR_RETURN(Decision d, store_->peek(pk, kPenaltyProbeLimit));
        if (d.penalized_until && (!denied || d.retry_after > denial.retry_after)) {
            denied = true;
            denial.rule = "penalty";
            denial.key = pk;
            denial.retry_after = d.retry_after;
            denial.penalized_until = d.penalized_until;
        }
    }
    // Phase 1b: every rule, without consuming. Rule keys may carry their own
    // store-level penalties too (Store::penalize on a rule key).
    for (const auto& a : rules) {
        GK_ASSIGN_OR_RETURN(Decision d, store_->probe(a.key, a.rule->limit, cost));
        if (!d.allowed && (!denied || d.retry_after > denial.retry_after)) {
            denied = true;
            denial.rule = a.rule->name;
            denial.key = a.key;
            denial.retry_after = d.retry_after;
            denial.penalized_until = d.penalized_until;
        }
    }
    if (denied) {
        denial.allowed = false;
        denial.remaining = 0;
        return denial;
    }

    // Phase 2: consume on every rule.
    Verdict v;
    v.allowed = true;
    v.remaining = UINT64_MAX;
    bool consumed_any = false;
    for (const auto& a : rules) {
        auto r = store_->try_acquire(a.key, a.rule->limit, cost);
        if (!r) {
            if (!consumed_any) return fail(std::move(r).error());
            Verdict lost;
            lost.allowed = false;
            lost.rule = a.rule->name;
            lost.key = a.key;
            lost.partially_consumed = true;
            lost.retry_after = a.rule->limit.emission_interval();
            return lost;  // store error after partial consumption: deny conservatively
        }
        const Decision& d = *r;
        if (!d.allowed) {
            Verdict lost;
            lost.allowed = false;
            lost.rule = a.rule->name;
            lost.key = a.key;
            lost.retry_after = d.retry_after;
            lost.penalized_until = d.penalized_until;
            lost.partially_consumed = consumed_any;
            return lost;
        }
        consumed_any = true;
        if (d.remaining < v.remaining) {
            v.remaining = d.remaining;
            v.rule = a.rule->name;
            v.key = a.key;
        }
    }
    if (rules.empty()) v.remaining = 0;
    return v;
}

Result<std::vector<RuleStatus>> Limiter::status(const Request& request) {
    const auto set = snapshot();
    std::vector<RuleStatus> out;
    for (auto& a : applicable_rules(set->rules, request)) {
        GK_ASSIGN_OR_RETURN(Decision d, store_->peek(a.key, a.rule->limit));
        out.push_back(RuleStatus{a.rule->name, std::move(a.key), std::move(d)});
    }
    for (const auto& part : request.parts) {
        std::string pk = penalty_key(part);
        GK_ASSIGN_OR_RETURN(Decision d, store_->peek(pk, kPenaltyProbeLimit));
        if (d.penalized_until) out.push_back(RuleStatus{"penalty", std::move(pk), std::move(d)});
    }
    return out;
}

Result<Timestamp> Limiter::penalize(std::string_view part, Timestamp until, bool escalate) {
    if (part.empty()) return fail(ErrorCode::invalid_argument, "rate limit: penalty needs a key part", "part");
    const Timestamp now = clock_->now();
    Duration requested = until - now;
    if (requested <= Duration{0}) return now;  // already over
    Duration effective = std::min(requested, penalty_options_.max_penalty);
    {
        std::lock_guard lock(escalation_mutex_);
        // Keep the history bounded: drop entries whose window has passed.
        if (escalation_.size() > 4096) {
            std::erase_if(escalation_, [&](const auto& kv) {
                return kv.second.last_end + penalty_options_.escalation_window < now;
            });
        }
        auto it = escalation_.find(std::string(part));
        if (escalate && it != escalation_.end() &&
            now <= it->second.last_end + penalty_options_.escalation_window) {
            effective = std::min(std::max(requested, 2 * it->second.last_duration), penalty_options_.max_penalty);
        }
        if (it == escalation_.end()) it = escalation_.emplace(std::string(part), Escalation{}).first;
        it->second.last_duration = effective;
        it->second.last_end = now + effective;
    }
    const Timestamp end = now + effective;
    GK_TRY(store_->penalize(penalty_key(part), end));
    return end;
}

void Limiter::clear_escalation(std::string_view part) {
    std::lock_guard lock(escalation_mutex_);
    escalation_.erase(std::string(part));
}

Status Limiter::reset(const Request& request) {
    const auto set = snapshot();
    for (const auto& a : applicable_rules(set->rules, request)) GK_TRY(store_->reset(a.key));
    for (const auto& part : request.parts) GK_TRY(store_->reset(penalty_key(part)));
    return {};
}

}  // namespace gramkit::ratelimit
