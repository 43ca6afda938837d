// ProxyService: URL parsing, password encryption, health and sticky
// assignment (the atomic part lives in ProxyRepository).
#include "accounts/secret_codec.hpp"
#include "accounts/notify.hpp"
#include "accounts/services.hpp"
#include "accounts/validation.hpp"

namespace gramkit::accounts {
namespace {

Status validate_max_accounts(int n) {
    if (n < 1 || n > 10000)
        return fail(ErrorCode::invalid_argument, "max_accounts must be between 1 and 10000", "max_accounts");
    return {};
}

ProxyUrl url_of(const Proxy& p) {
    ProxyUrl u;
    u.scheme = p.scheme;
    u.host = p.host;
    u.port = p.port;
    u.username = p.username;
    return u;
}

class ProxyServiceImpl final : public ProxyService {
public:
    explicit ProxyServiceImpl(const ServiceContext& ctx) : ctx_(ctx), repo_(ctx.backend.proxies()) {}

    Result<Proxy> create(const NewProxy& spec) override {
        GK_ASSIGN_OR_RETURN(auto url, parse_proxy_url(spec.url));
        GK_TRY(validate_max_accounts(spec.max_accounts));
        storage::ProxyRecord rec;
        Proxy& p = rec.proxy;
        p.id = ctx_.ids.next();
        p.scheme = url.scheme;
        p.host = url.host;
        p.port = url.port;
        p.username = url.username;
        p.has_password = url.password.has_value();
        p.max_accounts = spec.max_accounts;
        p.created_at = p.updated_at = ctx_.clock.now();
        if (url.password) {
            GK_ASSIGN_OR_RETURN(rec.password_envelope, seal_secret(ctx_.keys, kProxyPassword, p.id, *url.password));
        }
        GK_TRY(repo_.insert(rec));
        p.url = url.redacted();
        notify(ctx_, "proxies", "proxy.created", {{"proxy_id", p.id}, {"url", p.url}});
        return p;
    }

    Result<Proxy> get(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        return finish(std::move(rec));
    }

    Result<Page<Proxy>> list(const ProxyFilter& filter) override {
        GK_TRY(validate_limit(filter.limit));
        GK_ASSIGN_OR_RETURN(auto page, repo_.list(filter));
        Page<Proxy> out;
        out.next_after = page.next_after;
        for (auto& rec : page.items) out.items.push_back(finish(std::move(rec)));
        return out;
    }

    Status remove(std::int64_t id) override {
        GK_TRY(repo_.remove(id));
        notify(ctx_, "proxies", "proxy.deleted", {{"proxy_id", id}});
        return {};
    }

    Result<Proxy> set_max_accounts(std::int64_t id, int max_accounts) override {
        GK_TRY(validate_max_accounts(max_accounts));
        GK_TRY(repo_.set_max_accounts(id, max_accounts, ctx_.clock.now()));
        return get(id);
    }

    Result<Proxy> set_health(std::int64_t id, ProxyHealth health) override {
        GK_TRY(repo_.set_health(id, health, ctx_.clock.now()));
        notify(ctx_, "proxies", "proxy.health_changed", {{"proxy_id", id}, {"health", to_string(health)}});
        return get(id);
    }

    Result<Proxy> report_failure(std::int64_t id) override {
        GK_TRY(repo_.record_failure(id, ctx_.proxy_failure_threshold, ctx_.clock.now()));
        GK_ASSIGN_OR_RETURN(auto p, get(id));
        if (p.health == ProxyHealth::unhealthy && p.failure_count == ctx_.proxy_failure_threshold)
            notify(ctx_, LogLevel::warn, "proxies", "proxy.unhealthy", {{"proxy_id", id}, {"failures", p.failure_count}});
        return p;
    }

    Result<Proxy> report_success(std::int64_t id) override { return set_health(id, ProxyHealth::healthy); }

    Result<Proxy> assign(std::int64_t account_id) override {
        GK_ASSIGN_OR_RETURN(auto proxy_id, repo_.assign_least_loaded(account_id, ctx_.clock.now()));
        return get(proxy_id);
    }

    Result<Proxy> assign_to(std::int64_t account_id, std::int64_t proxy_id) override {
        GK_TRY(repo_.assign_to(account_id, proxy_id, ctx_.clock.now()));
        notify(ctx_, "proxies", "proxy.assigned", {{"account_id", account_id}, {"proxy_id", proxy_id}});
        return get(proxy_id);
    }

    Status unassign(std::int64_t account_id) override { return repo_.unassign(account_id, ctx_.clock.now()); }

    Result<std::string> reveal_url(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        ProxyUrl u = url_of(rec.proxy);
        if (rec.password_envelope) {
            GK_ASSIGN_OR_RETURN(auto pass, open_secret(ctx_.keys, kProxyPassword, id, *rec.password_envelope));
            u.password = std::move(pass);
        }
        return u.full();
    }

private:
    static Proxy finish(storage::ProxyRecord rec) {
        Proxy p = std::move(rec.proxy);
        p.has_password = rec.password_envelope.has_value();
        ProxyUrl u = url_of(p);
        if (p.has_password) u.password = "";  // rendered as ":***"
        p.url = u.redacted();
        return p;
    }

    ServiceContext ctx_;
    storage::ProxyRepository& repo_;
};

}  // namespace

std::unique_ptr<ProxyService> make_proxy_service(const ServiceContext& ctx) {
    return std::make_unique<ProxyServiceImpl>(ctx);
}

}  // namespace gramkit::accounts
