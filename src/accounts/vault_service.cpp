// Vault: key ids, adding a key, and rewrapping every stored secret under the
// newest key (DESIGN.md §5).
#include <mutex>

#include "accounts/notify.hpp"
#include "accounts/services.hpp"

namespace gramkit::accounts {
namespace {

class VaultImpl final : public Vault {
public:
    VaultImpl(const ServiceContext& ctx, KeyRingPersister persist) : ctx_(ctx), persist_(std::move(persist)) {}

    std::vector<std::string> key_ids() const override { return ctx_.keys.key_ids(); }
    std::string newest_key_id() const override { return ctx_.keys.newest_key_id(); }

    Result<std::string> add_key(const std::string& requested_id) override {
        std::lock_guard g(mu_);
        if (!persist_)
            return fail(ErrorCode::failed_precondition,
                        "keys were loaded from the environment; add the new key there and restart");
        std::string id = requested_id;
        if (id.empty()) {
            // First free "k<N>"; never reuse an id, since old envelopes name it.
            for (std::size_t n = ctx_.keys.size() + 1;; ++n) {
                id = "k" + std::to_string(n);
                auto ids = ctx_.keys.key_ids();
                if (std::find(ids.begin(), ids.end(), id) == ids.end()) break;
            }
        }
        GK_TRY(ctx_.keys.generate_key(id));
        // Persist before anything is sealed with the new key: a key that
        // is not on disk would make new secrets unreadable after a restart.
        if (auto s = persist_(ctx_.keys); !s) return fail(std::move(s).error());
        notify(ctx_, "vault", "vault.key_added", {{"key_id", id}});
        return id;
    }

    Result<RewrapReport> rewrap() override {
        std::lock_guard g(mu_);
        RewrapReport report;
        report.key_id = ctx_.keys.newest_key_id();
        for (const auto& column : storage::secret_columns()) {
            auto examined_before = report.examined;
            GK_ASSIGN_OR_RETURN(
                auto n, ctx_.backend.secrets().rewrap(column, [&](std::int64_t row, std::string_view envelope)
                                                                  -> Result<std::string> {
                    ++report.examined;
                    GK_ASSIGN_OR_RETURN(auto info, crypto::inspect_envelope(envelope));
                    if (info.key_id == report.key_id) return std::string(envelope);
                    const auto aad = storage::secret_aad(column, row);
                    GK_ASSIGN_OR_RETURN(auto plain, ctx_.keys.open(envelope, aad));
                    auto sealed = ctx_.keys.seal(plain, aad);
                    crypto_cleanse(plain);
                    return sealed;
                }));
            report.rewrapped += n;
            notify(ctx_, "vault", "vault.column_rewrapped",
                   {{"column", std::string(column.table) + "." + std::string(column.column)},
                    {"examined", report.examined - examined_before},
                    {"rewrapped", n}});
        }
        return report;
    }

private:
    static void crypto_cleanse(std::string& s) {
        volatile char* p = s.data();
        for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
    }

    ServiceContext ctx_;
    KeyRingPersister persist_;
    std::mutex mu_;
};

}  // namespace

std::unique_ptr<Vault> make_vault(const ServiceContext& ctx, KeyRingPersister persist) {
    return std::make_unique<VaultImpl>(ctx, std::move(persist));
}

}  // namespace gramkit::accounts
