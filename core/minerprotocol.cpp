#include "core/minerprotocol.h"

#include <algorithm>
#include <cmath>

#include "core/canonicaljson.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
std::optional<std::int64_t> integerOf(const Json &json)
{
    if (json.is_number_integer())
        return json.is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                               json.get<std::uint64_t>(), Pow::MaxProof))
                                         : json.get<std::int64_t>();
    if (json.is_number_float()) {
        const double value = json.get<double>();
        if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 9e15)
            return static_cast<std::int64_t>(value);
    }
    return std::nullopt;
}

// The work in a 2xx GET /last_block body, or why it is none.
Result<MinerProtocol::Tip> tipFrom(const Result<Json> &json)
{
    if (!json)
        return Error{u"answer is not JSON (%1)"_s.arg(json.errorMessage())};
    if (!json->is_object() || !json->contains("last_block"))
        return Error{u"answer has no \"last_block\""_s};
    Result<Block> block = Block::fromJson((*json)["last_block"]);
    if (!block)
        return Error{u"\"last_block\" is not a valid block (%1)"_s.arg(block.errorMessage())};
    int difficulty = Pow::DefaultDifficulty;
    if (json->contains("difficulty")) {
        const std::optional<std::int64_t> d = integerOf((*json)["difficulty"]);
        if (!d || *d < 0 || *d > Pow::MaxDifficulty)
            return Error{u"\"difficulty\" is not an integer from 0 to %1"_s
                         .arg(Pow::MaxDifficulty)};
        difficulty = static_cast<int>(*d);
    }
    return MinerProtocol::Tip{std::move(*block), difficulty};
}
}

namespace MinerProtocol
{
QString MineAnswer::text() const
{
    return (fromServer ? u"HTTP %1: %2"_s : u"HTTP %1, %2"_s).arg(status).arg(message);
}

std::optional<int> longPollMs(const QByteArray &waitHeader)
{
    bool ok = false;
    const double seconds = waitHeader.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(seconds) || seconds <= 0 || seconds > MaxLongPollSeconds)
        return std::nullopt;
    return std::max(1, static_cast<int>(std::lround(seconds * 1000.0)));
}

QString longPollPath(const QByteArray &lastBlockHash)
{
    return u"last_block?wait="_s + QString::fromLatin1(lastBlockHash);
}

QString snippet(const QByteArray &body, int maxChars)
{
    if (body.isEmpty())
        return u"(empty body)"_s;
    const qsizetype window = maxChars * 4 + 4;   // enough UTF-8 for maxChars
    const QString decoded = QString::fromUtf8(body.left(window));
    const bool truncated = decoded.size() > maxChars || body.size() > window;
    QString text = decoded.left(maxChars);
    for (QChar &c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            c = u' ';
    }
    text = text.simplified();
    if (text.isEmpty())
        return u"(blank)"_s;   // only spaces or control characters: still say something
    if (truncated)
        text += u" ..."_s;
    return text;
}

Result<Tip> parseWork(int status, const QByteArray &body)
{
    if (status < 200 || status > 299)
        return Error{u"HTTP %1: %2"_s.arg(status).arg(snippet(body))};
    const Result<Json> json = CanonicalJson::parse(body);
    Result<Tip> tip = tipFrom(json);
    if (!tip)
        return Error{u"HTTP %1, %2: %3"_s.arg(status).arg(tip.errorMessage(), snippet(body))};
    return tip;
}

MineAnswer parseMine(int status, const QByteArray &body)
{
    MineAnswer mine;
    mine.status = status;
    const Result<Json> json = CanonicalJson::parse(body);
    const bool hasMessage = json && json->is_object() && json->contains("message")
        && (*json)["message"].is_string();
    if (!hasMessage) {
        const QString what = json ? u"answer has no \"message\": "_s : u"answer is not JSON: "_s;
        mine.message = what + snippet(body, MaxMessageChars - static_cast<int>(what.size()));
        return mine;
    }
    const QString message = QString::fromStdString((*json)["message"].get<std::string>());
    const bool ok = status >= 200 && status <= 299;
    const bool staleFlag = json->contains("stale") && (*json)["stale"].is_boolean()
        && (*json)["stale"].get<bool>();
    const bool stale = status == 409 || staleFlag
        || message.contains(u"stale"_s, Qt::CaseInsensitive);
    std::optional<std::int64_t> reward;
    if (json->contains("reward"))
        reward = integerOf((*json)["reward"]);
    const bool forged = message.trimmed().compare(u"New Block Forged"_s, Qt::CaseInsensitive) == 0;
    mine.kind = ReplyKind::Rejected;
    if (ok && !stale && (forged || reward))
        mine.kind = ReplyKind::Accepted;
    else if (stale)
        mine.kind = ReplyKind::Stale;
    else if (status >= 500)
        mine.kind = ReplyKind::Error;
    if (mine.kind == ReplyKind::Accepted)   // a peer's claim, kept sane: 0 to MaxReward
        mine.reward = std::clamp<std::int64_t>(reward.value_or(1), 0, MaxReward);
    mine.message = snippet(message.toUtf8());
    mine.fromServer = true;
    return mine;
}

QByteArray mineRequest(std::uint64_t proof, const QString &id)
{
    Json body = Json::object();
    body["proof"] = proof;
    body["id"] = id.toStdString();
    return CanonicalJson::dump(body);
}
}
