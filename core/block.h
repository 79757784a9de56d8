#pragma once

#include <cstdint>
#include <optional>

#include <QByteArray>
#include <QMetaType>
#include <QString>

#include "core/canonicaljson.h"
#include "core/result.h"

// A block as the classic chain sends it: a JSON object with index, timestamp,
// transactions, proof and previous_hash, plus any keys a server added (all kept,
// since every key takes part in the hash).
struct Block
{
    CanonicalJson::Json value = CanonicalJson::Json::object();

    // Checks the shape (object, integer index in [1, 2^63), integer proof in [0, 2^63),
    // previous_hash string or integer, transactions array, numeric timestamp). Other
    // values, timestamp and previous_hash included, may be integers of any size.
    static Result<Block> fromJson(CanonicalJson::Json json);
    static Result<Block> fromWire(const QByteArray &wire);

    // A JSON value as a proof: an integer in [0, 2^63); nothing for a float, a negative
    // or a larger number, or any other kind.
    static std::optional<std::uint64_t> proofFrom(const CanonicalJson::Json &json);

    QByteArray blockString() const;   // json.dumps(block, sort_keys=True)
    QByteArray hash() const;          // lowercase hex SHA-256 of blockString()
    QByteArray toWire() const { return blockString(); }

    std::int64_t index() const;
    // The index of the block after this one; none when this one has the largest index
    // there is (2^63 - 1), so that nothing ever overflows.
    std::optional<std::int64_t> nextIndex() const;
    std::uint64_t proof() const;
    double timestamp() const;         // the nearest double to an integer beyond 64 bits
    QString previousHash() const;     // a string as is, an integer in decimal
    const CanonicalJson::Json &transactions() const;

    bool operator==(const Block &other) const { return value == other.value; }
};

Q_DECLARE_METATYPE(Block)
