#pragma once

#include <cstdint>
#include <optional>

#include <QByteArray>
#include <QMetaType>
#include <QObject>
#include <QString>

#include "core/block.h"
#include "core/pow.h"
#include "core/result.h"

// What a miner makes of a chain server's answers (PROTOCOL.md, "Miner behaviour"):
// pure functions of (HTTP status, body), so that every odd answer is tested and
// fuzzed without sockets. Every text they return is plain text of bounded length.
namespace MinerProtocol
{
Q_NAMESPACE

// The server's verdict on a submitted proof. Error: no verdict (an HTTP error, a
// body that is not the classic JSON).
enum class ReplyKind { Accepted, Stale, Rejected, Error };
Q_ENUM_NS(ReplyKind)

constexpr std::int64_t MaxReward = 1'000'000'000;   // a larger claim counts as this
constexpr int MaxMessageChars = 200;                // of any server text we show

// The work a GET /last_block answer gives: the block to mine on and the difficulty.
struct Tip
{
    Block lastBlock;
    int difficulty = Pow::DefaultDifficulty;
};

// A POST /mine answer.
struct MineAnswer
{
    ReplyKind kind = ReplyKind::Error;
    int status = 0;
    // The server's "message", else what is wrong with the answer and the start of its
    // body ("answer is not JSON: <html>...").
    QString message;
    bool fromServer = false;   // message is the server's JSON "message"
    std::int64_t reward = 0;   // coins won, when accepted: 0 to MaxReward

    // "HTTP 200: New Block Forged", "HTTP 502, answer is not JSON: <html>..."
    QString text() const;
};

// GET /last_block: the tip, or what is wrong with the answer ("HTTP 500: <html>...",
// "HTTP 200, answer has no \"last_block\": {...}").
Result<Tip> parseWork(int status, const QByteArray &body);

// Push (a blockforge server, not the classic protocol): a GET /last_block answer with
// the header "X-Blockforge-Wait: <seconds>" says that GET /last_block?wait=HASH waits up
// to that long for a block after HASH. The wait in milliseconds, or nothing for a
// missing or unusable value (it must be a number of seconds above 0, at most
// MaxLongPollSeconds).
constexpr char WaitHeader[] = "X-Blockforge-Wait";
constexpr int MaxLongPollSeconds = 600;
std::optional<int> longPollMs(const QByteArray &waitHeader);
// "last_block?wait=<hash>", relative to the server's base URL.
QString longPollPath(const QByteArray &lastBlockHash);

// POST /mine: classified as accepted ("New Block Forged" or a reward, with a 2xx
// status), stale (409, "stale": true, or a message saying so), rejected, or error.
MineAnswer parseMine(int status, const QByteArray &body);

// The POST /mine body: {"id": "<id>", "proof": <proof>}.
QByteArray mineRequest(std::uint64_t proof, const QString &id);

// The start of a body as one line of plain text: at most MaxMessageChars characters,
// control characters shown as spaces; "(empty body)" or "(blank)" rather than nothing.
QString snippet(const QByteArray &body, int maxChars = MaxMessageChars);
}

Q_DECLARE_METATYPE(MinerProtocol::MineAnswer)
