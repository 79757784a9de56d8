#include "core/block.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "core/pow.h"
#include "core/sha256.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
bool isInteger(const Json &json)   // of any size, never a float
{
    return json.is_number_integer() || CanonicalJson::isBigInteger(json);
}

Result<void> checkShape(const Json &json)
{
    if (!json.is_object())
        return Error{u"a block must be a JSON object"_s};
    for (const char *key : {"index", "timestamp", "transactions", "proof", "previous_hash"}) {
        if (!json.contains(key))
            return Error{u"block has no \"%1\""_s.arg(QLatin1StringView(key))};
    }
    // Indexes are counted in 64 bits: a larger one (valid JSON for Python) is refused.
    const Json &index = json["index"];
    const bool inRange = index.is_number_unsigned()
        ? index.get<std::uint64_t>() >= 1 && index.get<std::uint64_t>() <= Pow::MaxProof
        : index.is_number_integer() && index.get<std::int64_t>() >= 1;
    if (!inRange)
        return Error{u"block \"index\" must be an integer from 1 to 2^63 - 1"_s};
    if (!Block::proofFrom(json["proof"]))
        return Error{u"block \"proof\" must be an integer in [0, 2^63)"_s};
    const Json &previous = json["previous_hash"];
    if (!previous.is_string() && !isInteger(previous))
        return Error{u"block \"previous_hash\" must be a string or an integer"_s};
    if (!json["transactions"].is_array())
        return Error{u"block \"transactions\" must be an array"_s};
    if (!CanonicalJson::isNumber(json["timestamp"]))
        return Error{u"block \"timestamp\" must be a number"_s};
    return {};
}
}

std::optional<std::uint64_t> Block::proofFrom(const Json &json)
{
    if (json.is_number_unsigned()) {
        const auto value = json.get<std::uint64_t>();
        return value <= Pow::MaxProof ? std::optional(value) : std::nullopt;
    }
    if (json.is_number_integer()) {
        const auto value = json.get<std::int64_t>();
        return value >= 0 ? std::optional(static_cast<std::uint64_t>(value)) : std::nullopt;
    }
    return std::nullopt;
}

Result<Block> Block::fromJson(Json json)
{
    if (const Result<void> shape = checkShape(json); !shape)
        return shape.error();
    Block block;
    block.value = std::move(json);
    return block;
}

Result<Block> Block::fromWire(const QByteArray &wire)
{
    Result<Json> json = CanonicalJson::parse(wire);
    if (!json)
        return json.error();
    return fromJson(std::move(*json));
}

QByteArray Block::blockString() const
{
    return CanonicalJson::dump(value);
}

QByteArray Block::hash() const
{
    return Sha256::hexDigest(blockString());
}

std::optional<std::int64_t> Block::nextIndex() const
{
    const std::int64_t i = index();
    if (i == std::numeric_limits<std::int64_t>::max())
        return std::nullopt;
    return i + 1;
}

std::int64_t Block::index() const
{
    const Json &index = value.at("index");
    return index.is_number_unsigned() ? static_cast<std::int64_t>(index.get<std::uint64_t>())
                                      : index.get<std::int64_t>();
}

std::uint64_t Block::proof() const
{
    const Json &proof = value.at("proof");
    return proof.is_number_unsigned() ? proof.get<std::uint64_t>()
                                      : static_cast<std::uint64_t>(proof.get<std::int64_t>());
}

double Block::timestamp() const
{
    const Json &timestamp = value.at("timestamp");
    if (!CanonicalJson::isBigInteger(timestamp))
        return timestamp.get<double>();
    // Beyond 64 bits: the nearest double, or an infinity beyond a double's range.
    const QByteArray digits = CanonicalJson::dump(timestamp);
    double result = 0;
    if (std::from_chars(digits.cbegin(), digits.cend(), result).ec != std::errc())
        result = digits.startsWith('-') ? -HUGE_VAL : HUGE_VAL;
    return result;
}

QString Block::previousHash() const
{
    const Json &previous = value.at("previous_hash");
    if (previous.is_string())
        return QString::fromStdString(previous.get<std::string>());
    return QString::fromStdString(CanonicalJson::dump(previous).toStdString());
}

const CanonicalJson::Json &Block::transactions() const
{
    return value.at("transactions");
}
