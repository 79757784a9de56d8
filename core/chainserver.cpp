#include "core/chainserver.h"

#include <algorithm>

#include <QElapsedTimer>
#include <QMetaMethod>
#include <QTimer>
#include <QUrlQuery>

#include "core/httpdeferred.h"
#include "core/httplistener.h"
#include "core/logging.h"
#include "core/printable.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
enum Status : int {
    Ok = 200,
    Created = 201,
    BadRequest = 400,
    NotFound = 404,
    MethodNotAllowed = 405,
    Conflict = 409,
    PayloadTooLarge = 413,
    InternalServerError = 500,
    ServiceUnavailable = 503,
};

constexpr qint64 InlineChainBytes = 64 * 1024;   // longer /chain answers are streamed

HttpAnswer answer(const Json &json, Status status)
{
    return HttpAnswer::json(status, CanonicalJson::dump(json));
}

HttpAnswer message(const QString &text, Status status)
{
    return HttpAnswer::message(status, text);
}

// A request target's path as text, percent-decoded as QUrl::path() would.
QString decodedPath(const QByteArray &path)
{
    return path.contains('%') ? QString::fromUtf8(QByteArray::fromPercentEncoding(path))
                              : QString::fromLatin1(path);
}

// The body as a JSON object, or what is wrong with it (the message of a 400 answer).
Result<Json> parseObject(const QByteArray &bytes)
{
    Result<Json> body = CanonicalJson::parse(bytes);
    if (!body)
        return Error{u"Malformed JSON body: "_s + body.errorMessage()};
    if (!body->is_object())
        return Error{u"The body must be a JSON object"_s};
    return body;
}

const char *kindOf(const Json &json)
{
    if (json.is_null())
        return "null";
    if (json.is_boolean())
        return "a boolean";
    if (json.is_number_float())
        return "a float";
    if (CanonicalJson::isNumber(json))
        return "a number";
    if (json.is_string())
        return "a string";
    if (json.is_array())
        return "an array";
    return "an object";
}
}

ChainServer::ChainServer(const Config &config, QObject *parent)
    : QObject{parent}
    , m_config{config}
    , m_store{ChainStore::create(config.databasePath).release()}
    , m_chain{config.difficulty}
    , m_waitTimer{new QTimer(this)}
{
    m_store->setParent(this);
    connect(m_store, &ChainStore::tipChanged, this, [this](qint64 height) {
        if (height <= m_chain.lastBlock().index())
            return;
        // A shared store repeats its height every second while this server is behind:
        // the same failure is logged once, not at every retry.
        const Result<void> caughtUp = catchUp();
        const QString failure = caughtUp ? QString() : caughtUp.errorMessage();
        if (!failure.isEmpty() && failure != m_followError)
            qCWarning(lcServer).noquote() << "Cannot follow block" << height << ":" << failure;
        m_followError = failure;
    });
    m_clock.start();
    m_waitTimer->setSingleShot(true);
    m_waitTimer->setTimerType(Qt::PreciseTimer);
    connect(m_waitTimer, &QTimer::timeout, this, &ChainServer::expireWaiters);
    connect(this, &ChainServer::tipChanged, this, &ChainServer::answerWaiters);
}

ChainServer::~ChainServer()
{
    close();
}

Result<void> ChainServer::open()
{
    if (m_config.difficulty < 1 || m_config.difficulty > Pow::MaxDifficulty) {
        m_errorString = u"Difficulty %1 is outside 1..%2"_s.arg(m_config.difficulty)
                            .arg(Pow::MaxDifficulty);
    } else if (m_config.reward < 0) {
        m_errorString = u"Reward %1 is negative"_s.arg(m_config.reward);
    } else if (m_config.maxBlockBytes <= BlockReserve) {
        m_errorString = u"A block budget of %1 bytes leaves no room for transactions"_s
                            .arg(m_config.maxBlockBytes);
    } else if (const Result<void> opened = m_store->open(); !opened) {
        m_errorString = opened.errorMessage();
    } else if (Result<Chain> chain = m_store->load(m_config.difficulty); !chain) {
        m_errorString = chain.errorMessage();
        m_store->close();
    } else {
        m_chain = std::move(*chain);
        m_chain.setDifficulty(m_config.difficulty);
        m_chain.setPendingBudget(m_config.maxBlockBytes - BlockReserve);
        refreshAnswers(true);
        return {};
    }
    return Error{m_errorString};
}

quint16 ChainServer::listen(const QHostAddress &address, quint16 port)
{
    if (!m_store->isOpen()) {
        m_errorString = u"Cannot listen before the chain database is open"_s;
        return 0;
    }
    if (m_listener) {
        m_errorString = u"Already listening on port %1"_s.arg(m_port);
        return 0;
    }
    HttpListener::Limits limits;
    limits.head.maxBodyBytes = MaxBodyBytes;
    limits.requestTimeoutMs = m_config.requestTimeoutMs;
    limits.idleTimeoutMs = m_config.idleTimeoutMs;
    limits.maxConnections = m_config.maxConnections;
    limits.maxQueuedBytesPerConnection = m_config.maxQueuedBytesPerConnection;
    limits.maxQueuedBytes = m_config.maxQueuedBytes;
    auto *listener = new HttpListener(
        limits, [this](const HttpRequest &request) { return handle(request); }, this);
    if (!listener->listen(address, port)) {
        m_errorString = u"Cannot listen on %1 port %2: %3"_s
                            .arg(address.toString()).arg(port).arg(listener->errorString());
        delete listener;
        return 0;
    }
    connect(listener, &HttpListener::requestRejected, this,
            [this](const QString &method, const QString &path, int status) {
                m_metrics.countRefusal(status);
                emit requestServed(method, Printable::escaped(decodedPath(path.toLatin1())),
                                   status, 0.0);
            });
    m_listener = listener;
    m_port = listener->serverPort();
    m_uptime.start();
    qCInfo(lcServer) << "Listening on" << address.toString() << "port" << m_port;
    return m_port;
}

void ChainServer::close()
{
    if (m_listener) {
        // Connections go first: none may read the chain's text once it changes. Their
        // waiting clients go with them.
        m_listener->closeConnections();
        m_waiters.clear();
        m_waitTimer->stop();
        m_listener->close();
        m_listener->deleteLater();
        m_listener = nullptr;
        m_port = 0;
        qCInfo(lcServer) << "Stopped listening";
    }
    if (m_store->isOpen()) {
        m_store->close();
        qCInfo(lcStore).noquote() << "Closed chain database" << m_store->displayName();
    }
}

HttpAnswer ChainServer::handle(const HttpRequest &request)
{
    // Timed and counted for /metrics whether or not anyone listens: a clock read and a few
    // increments on this one thread, no lock.
    QElapsedTimer timer;
    timer.start();
    const QByteArray rawPath = request.head.path();
    const QString path = decodedPath(rawPath);
    HttpAnswer answer = route(path, request);
    const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    m_metrics.countRequest(ServerMetrics::routeOf(path.toUtf8()), answer.status, seconds);
    static const QMetaMethod served = QMetaMethod::fromSignal(&ChainServer::requestServed);
    if (isSignalConnected(served))
        emit requestServed(QString::fromLatin1(request.head.method), Printable::escaped(path),
                           answer.status, seconds * 1000.0);
    return answer;
}

// The only place routes are declared.
HttpAnswer ChainServer::route(const QString &path, const HttpRequest &request)
{
    const QByteArray &method = request.head.method;
    const bool get = method == "GET" || method == "HEAD";
    const bool post = method == "POST";
    const auto notAllowed = [&](const char *allow) {
        return HttpAnswer::message(MethodNotAllowed,
                                   u"Method %1 is not allowed on %2 (use %3)"_s.arg(
                                       QString::fromLatin1(method), path, QLatin1StringView(allow)),
                                   "Allow: "_ba + allow + "\r\n");
    };
    if (path == u"/last_block"_s) {
        if (!get)
            return notAllowed("GET, HEAD");
        const QByteArray query = request.head.query();
        if (query.isEmpty() || m_waitHeader.isEmpty())
            return lastBlock();
        const QUrlQuery items(QString::fromLatin1(query));
        return items.hasQueryItem(u"wait"_s) ? waitForBlock(items) : lastBlock();
    }
    if (path == u"/chain"_s)
        return get ? fullChain(QUrlQuery(QString::fromLatin1(request.head.query())))
                   : notAllowed("GET, HEAD");
    if (path == u"/mine"_s)
        return post ? submitProof(request.body) : notAllowed("POST");
    if (path == u"/transactions/new"_s)
        return post ? newTransaction(request.body) : notAllowed("POST");
    if (path == u"/metrics"_s)
        return get ? metricsAnswer() : notAllowed("GET, HEAD");
    return message(u"Not found: %1"_s.arg(path), NotFound);
}

void ChainServer::refreshAnswers(bool rebuildChain)
{
    // The chain keeps the last block's canonical string: reuse it, never write it again.
    m_lastBlockAnswer = lastBlockAnswer(m_chain.lastBlockString());
    m_tipHash = m_chain.lastBlock().hash();
    m_waitHeader = m_config.longPollTimeoutMs <= 0 ? QByteArray()
        : QByteArray(WaitHeader) + ": "
            + QByteArray::number(m_config.longPollTimeoutMs / 1000.0, 'g', 6) + "\r\n";

    if (rebuildChain) {
        m_chainBlocks.clear();
        m_blockOffsets.clear();
    }
    const auto &blocks = m_chain.blocks();
    for (std::size_t i = m_blockOffsets.size(); i < blocks.size(); ++i) {
        if (i)
            m_chainBlocks += ", ";
        m_blockOffsets.push_back(m_chainBlocks.size());
        const bool last = i + 1 == blocks.size();
        m_chainBlocks += last ? m_chain.lastBlockString() : blocks[i].blockString();
    }
}

Result<void> ChainServer::catchUp()
{
    Result<ChainStore::Update> update = m_store->readSince(m_chain.lastBlock().index());
    if (!update)
        return update.error();
    auto &[blocks, difficulties, pending] = *update;
    QString error;
    // Never trust a block because it is in the database: each must follow the one before.
    std::size_t adopted = 0;
    for (; adopted < blocks.size(); ++adopted) {
        const Result<void> link = Chain::verifyLink(m_chain.lastBlock(), blocks[adopted],
                                                    difficulties[adopted]);
        if (!link) {
            error = u"block %1 fails verification: %2"_s.arg(blocks[adopted].index())
                        .arg(link.errorMessage());
            break;
        }
        m_chain.append(std::move(blocks[adopted]), difficulties[adopted]);
    }
    m_chain.setPendingTransactions(std::move(pending));
    if (adopted > 0) {
        refreshAnswers(false);
        qCDebug(lcServer) << "Followed the chain to block" << m_chain.lastBlock().index();
        emit tipChanged(m_chain.lastBlock());
    }
    if (adopted < blocks.size())
        return Error{error};
    return {};
}

QByteArray ChainServer::lastBlockAnswer(const QByteArray &blockString) const
{
    return "{\"last_block\": " + blockString + ", \"difficulty\": "
        + QByteArray::number(m_chain.difficulty()) + "}";
}

HttpAnswer ChainServer::lastBlock() const
{
    return HttpAnswer::json(Ok, m_lastBlockAnswer, m_waitHeader);
}

int ChainServer::maxWaiters() const
{
    return std::max(0, std::min(m_config.maxWaiters, m_config.maxConnections / 2));
}

int ChainServer::waiterCount() const
{
    return static_cast<int>(std::count_if(m_waiters.begin(), m_waiters.end(),
                                          [](const Waiter &w) { return w.deferred->isPending(); }));
}

// GET /last_block?wait=HASH: the last block once its hash is not HASH.
HttpAnswer ChainServer::waitForBlock(const QUrlQuery &query)
{
    const QByteArray hash =
        query.queryItemValue(u"wait"_s, QUrl::FullyDecoded).toLatin1().toLower();
    const bool isHash = hash.size() == 64
        && std::all_of(hash.begin(), hash.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
    if (!isHash)
        return message(u"\"wait\" must be the hash of the last block you have: 64 hex digits"_s,
                       BadRequest);
    if (hash != m_tipHash)
        return lastBlock();
    // Answered or dropped ones leave the queue here and as they expire.
    std::erase_if(m_waiters, [](const Waiter &w) { return !w.deferred->isPending(); });
    if (static_cast<int>(m_waiters.size()) >= maxWaiters())
        return message(u"Too many clients are waiting for a new block (%1): poll GET /last_block"
                       " without \"wait\""_s.arg(maxWaiters()),
                       ServiceUnavailable);
    auto deferred = std::make_shared<HttpDeferred>([this] { return lastBlock(); });
    HttpDeferred *raw = deferred.get();
    deferred->onDropped = [this, raw] {
        std::erase_if(m_waiters, [raw](const Waiter &w) { return w.deferred.get() == raw; });
    };
    m_waiters.push_back(Waiter{deferred, hash, m_clock.elapsed() + m_config.longPollTimeoutMs});
    if (!m_waitTimer->isActive())
        scheduleExpiry();
    return HttpAnswer::later(std::move(deferred));
}

// On tipChanged(): everyone waiting on another hash learns of the new last block.
void ChainServer::answerWaiters()
{
    if (m_waiters.empty())
        return;
    // Taken out first: answering may close connections (dropping their waiters) or serve
    // pipelined requests that wait again.
    std::deque<Waiter> waiters = std::move(m_waiters);
    m_waiters.clear();
    const HttpAnswer answer = lastBlock();
    std::deque<Waiter> still;
    for (Waiter &waiter : waiters) {
        if (!waiter.deferred->isPending())
            continue;
        if (waiter.hash == m_tipHash)
            still.push_back(std::move(waiter));   // it already has this block
        else
            waiter.deferred->resolve(answer);
    }
    // Those that waited again while we answered came after, with later deadlines.
    for (Waiter &waiter : m_waiters)
        still.push_back(std::move(waiter));
    m_waiters = std::move(still);
    scheduleExpiry();
}

void ChainServer::expireWaiters()
{
    const qint64 now = m_clock.elapsed();
    const HttpAnswer answer = lastBlock();
    while (!m_waiters.empty() && m_waiters.front().deadline <= now) {
        const std::shared_ptr<HttpDeferred> deferred = std::move(m_waiters.front().deferred);
        m_waiters.pop_front();
        deferred->resolve(answer);   // may drop others: they leave the queue at once
    }
    scheduleExpiry();
}

void ChainServer::scheduleExpiry()
{
    while (!m_waiters.empty() && !m_waiters.front().deferred->isPending())
        m_waiters.pop_front();
    if (m_waiters.empty()) {
        m_waitTimer->stop();
        return;
    }
    const qint64 left = m_waiters.front().deadline - m_clock.elapsed();
    m_waitTimer->start(static_cast<int>(std::clamp<qint64>(left, 0, 1 << 30)));
}

// GET /metrics: the Prometheus text exposition of the counters and of the chain now.
HttpAnswer ChainServer::metricsAnswer() const
{
    ServerMetrics::Gauges gauges;
    gauges.chainLength = m_chain.length();
    gauges.pendingTransactions = static_cast<std::int64_t>(m_chain.pendingTransactions().size());
    gauges.pendingBytes = m_chain.pendingBytes();
    gauges.openConnections = m_listener ? m_listener->connectionCount() : 0;
    gauges.difficulty = m_chain.difficulty();
    gauges.uptimeSeconds = m_uptime.isValid() ? static_cast<double>(m_uptime.elapsed()) / 1000.0
                                              : 0.0;
    HttpAnswer answer;
    answer.status = Ok;
    answer.contentType = ServerMetrics::ContentType;
    answer.body = m_metrics.render(gauges);
    return answer;
}

HttpAnswer ChainServer::fullChain(const QUrlQuery &query) const
{
    const qsizetype length = static_cast<qsizetype>(m_blockOffsets.size());
    if (!query.hasQueryItem(u"start"_s) && !query.hasQueryItem(u"limit"_s))
        return chainAnswer(0, length, QByteArray());   // the classic shape: every block
    // A page: blocks with index start .. start + limit - 1 (indexes count from 1).
    const auto number = [&query](const QString &key, qint64 fallback, bool *ok) {
        if (!query.hasQueryItem(key))
            return fallback;
        return query.queryItemValue(key).toLongLong(ok);
    };
    bool startOk = true;
    bool limitOk = true;
    const qint64 start = number(u"start"_s, 1, &startOk);
    const qint64 limit = number(u"limit"_s, MaxChainPage, &limitOk);
    if (!startOk || start < 1)
        return message(u"\"start\" must be a block index, an integer >= 1"_s, BadRequest);
    if (!limitOk || limit < 1 || limit > MaxChainPage)
        return message(u"\"limit\" must be an integer from 1 to %1"_s.arg(MaxChainPage),
                       BadRequest);
    const qsizetype first = static_cast<qsizetype>(std::min<qint64>(start - 1, length));
    const qsizetype end = static_cast<qsizetype>(std::min<qint64>(first + limit, length));
    return chainAnswer(first, end, ", \"limit\": " + QByteArray::number(limit) + ", \"start\": "
                                       + QByteArray::number(start));
}

// {"chain": [blocks first .. end - 1], "length": n<extraFields>}. A long one is written
// a piece at a time from the chain's text as the client reads it, never copied whole:
// that text only grows while the server listens, so the offsets stay valid.
HttpAnswer ChainServer::chainAnswer(qsizetype first, qsizetype end,
                                    const QByteArray &extraFields) const
{
    const qsizetype length = static_cast<qsizetype>(m_blockOffsets.size());
    const QByteArray prefix = "{\"chain\": ["_ba;
    const QByteArray suffix = "], \"length\": " + QByteArray::number(length) + extraFields + "}";
    const qsizetype from = first < end ? m_blockOffsets[first] : 0;
    const qsizetype to = first >= end ? 0
        : end < length              ? m_blockOffsets[end] - 2
                                    : m_chainBlocks.size();
    const qint64 size = prefix.size() + (to - from) + suffix.size();
    if (size <= InlineChainBytes)
        return HttpAnswer::json(Ok, prefix + QByteArrayView(m_chainBlocks).sliced(from, to - from)
                                        + suffix);
    HttpAnswer answer;
    answer.sourceSize = size;
    answer.source = [this, prefix, suffix, from, to](qint64 offset, qint64 maxBytes) {
        QByteArray piece;
        const auto take = [&](QByteArrayView part, qint64 partStart) {
            const qint64 begin = std::max(offset, partStart);
            const qint64 stop = std::min(offset + maxBytes, partStart + part.size());
            if (begin < stop)
                piece += part.sliced(begin - partStart, stop - begin);
        };
        take(prefix, 0);
        take(QByteArrayView(m_chainBlocks).sliced(from, to - from), prefix.size());
        take(suffix, prefix.size() + (to - from));
        return piece;
    };
    return answer;
}

HttpAnswer ChainServer::submitProof(const QByteArray &bytes)
{
    // Every answer that is not a verdict on a proof is a malformed submission.
    const std::int64_t judged = m_metrics.proofs();
    HttpAnswer answer = judgeProof(bytes);
    if (m_metrics.proofs() == judged)
        m_metrics.countProof(ServerMetrics::Proof::Malformed);
    return answer;
}

HttpAnswer ChainServer::judgeProof(const QByteArray &bytes)
{
    const Result<Json> body = parseObject(bytes);
    if (!body)
        return message(body.errorMessage(), Status::BadRequest);

    const auto proofField = body->find("proof");
    if (proofField == body->end())
        return message(u"Missing field \"proof\""_s, Status::BadRequest);
    const Json &proofJson = *proofField;
    if (CanonicalJson::isBigInteger(proofJson))
        return message(u"\"proof\" does not fit in 64 bits: proofs are integers from 0 to 2^63 - 1"_s,
                       Status::BadRequest);
    if (!proofJson.is_number_integer())
        return message(u"\"proof\" must be a non-negative integer, not %1"_s
                           .arg(QLatin1StringView(kindOf(proofJson))), Status::BadRequest);
    const std::optional<std::uint64_t> proofValue = Block::proofFrom(proofJson);
    if (!proofValue)
        return message(proofJson.is_number_unsigned()
                           ? u"\"proof\" is too large: proofs are below 2^63"_s
                           : u"\"proof\" must be a non-negative integer, not negative"_s,
                       Status::BadRequest);
    const std::uint64_t proof = *proofValue;

    const auto idField = body->find("id");
    if (idField == body->end())
        return message(u"Missing field \"id\""_s, Status::BadRequest);
    if (!idField->is_string())
        return message(u"\"id\" must be a string, not %1"_s.arg(QLatin1StringView(kindOf(*idField))),
                       Status::BadRequest);
    const QString id = QString::fromStdString(idField->get<std::string>()).trimmed();
    if (id.isEmpty())
        return message(u"\"id\" is blank"_s, Status::BadRequest);
    // Counted in code points: an astral character (an emoji) is two UTF-16 units.
    const auto codePoints = std::count_if(id.cbegin(), id.cend(),
                                          [](QChar c) { return !c.isLowSurrogate(); });
    if (codePoints > MaxIdLength)
        return message(u"\"id\" is longer than %1 characters"_s.arg(MaxIdLength),
                       Status::BadRequest);

    if (m_chain.isFull())
        return message(u"The chain has reached the largest block index: no block can follow"_s,
                       Status::ServiceUnavailable);
    // One thread runs every handler, so from this check to the commit below no other
    // submission to this server can run; several servers on one database are decided by
    // the database: the block is stored only on the tip the proof was checked against.
    const auto staleAnswer = [](std::int64_t index) {
        return answer(Json{{"message", u"Stale proof: block %1 was already forged"_s
                                           .arg(index).toStdString()},
                           {"stale", true},
                           {"index", index}},
                      Status::Conflict);
    };
    if (!m_chain.isValidProof(proof)) {
        if (const std::optional<std::int64_t> stale = m_chain.staleBlockFor(proof)) {
            m_metrics.countProof(ServerMetrics::Proof::Stale);
            return staleAnswer(*stale);
        }
        m_metrics.countProof(ServerMetrics::Proof::Invalid);
        return message(u"Invalid proof"_s, Status::BadRequest);
    }
    if (!m_store->isAvailable()) {
        m_metrics.countProof(ServerMetrics::Proof::StoreFailed);
        return message(u"The chain database is unavailable: try again shortly"_s,
                       Status::ServiceUnavailable);
    }
    const Block previous = m_chain.lastBlock();
    const QByteArray previousAnswer = m_lastBlockAnswer;
    const QByteArray previousHash = m_tipHash;
    bool announced = false;
    const Result<std::optional<Block>> forged = m_store->forgeNext(
        previous, m_chain.difficulty(),
        [&](const Json &pending) {
            Block block = m_chain.forgeFrom(pending, proof, id, m_config.reward);
            // The store has checked that the tip is still ours (PostgreSQL: its row is
            // locked), so this block is the next one unless the commit fails. Waiting
            // miners learn of it now, while it is committed (an fsync, up to tens of
            // milliseconds, in which their work would be wasted): nothing they send is
            // handled before the commit ends, since one thread handles everything, and the
            // winner's 200 still waits for it. Should the commit fail, the tip moves back
            // and a miner that waits on the lost block is answered at once with the real one.
            m_lastBlockAnswer = lastBlockAnswer(block.blockString());
            m_tipHash = block.hash();
            announced = true;
            emit tipChanged(block);
            return block;
        });
    if (!(forged && *forged) && announced) {
        m_lastBlockAnswer = previousAnswer;
        m_tipHash = previousHash;
        emit tipChanged(previous);
    }
    if (!forged) {
        m_metrics.countProof(ServerMetrics::Proof::StoreFailed);
        // The store says which failure it was: the database gone for now, or this write.
        if (!m_store->isAvailable()) {
            qCWarning(lcServer).noquote() << "Cannot store block" << previous.index() + 1 << ":"
                                          << forged.errorMessage();
            return message(u"The chain database is unavailable: try again shortly"_s,
                           Status::ServiceUnavailable);
        }
        qCWarning(lcServer) << "Cannot store block" << previous.index() + 1 << ":"
                            << forged.errorMessage();
        return message(u"Cannot store the block: "_s + forged.errorMessage(),
                       Status::InternalServerError);
    }
    if (!*forged) {
        // Another server won this block: follow it, and answer as for any late proof.
        if (const Result<void> caughtUp = catchUp(); !caughtUp)
            qCWarning(lcServer).noquote() << "Cannot follow the chain:" << caughtUp.errorMessage();
        m_metrics.countProof(ServerMetrics::Proof::Stale);
        return staleAnswer(previous.index() + 1);
    }
    const Block &block = **forged;
    m_chain.append(block);
    refreshAnswers(false);
    m_metrics.countProof(ServerMetrics::Proof::Forged);
    m_metrics.countBlockForged();
    qCInfo(lcServer).noquote() << "Forged block" << block.index() << "for"
                               << Printable::escaped(id) << "proof" << proof;
    emit blockForged(block);   // tipChanged() went out while it was committed
    return answer(Json{{"message", "New Block Forged"},
                       {"index", block.index()},
                       {"transactions", block.transactions()},
                       {"proof", proof},
                       {"previous_hash", block.value.at("previous_hash")},
                       {"reward", m_config.reward}},
                  Status::Ok);
}

HttpAnswer ChainServer::newTransaction(const QByteArray &bytes)
{
    const Result<Json> body = parseObject(bytes);
    if (!body)
        return message(body.errorMessage(), Status::BadRequest);
    for (const char *key : {"sender", "recipient", "amount"}) {
        if (!body->contains(key))
            return message(u"Missing field \"%1\""_s.arg(QLatin1StringView(key)),
                           Status::BadRequest);
    }
    for (const char *key : {"sender", "recipient"}) {
        const Json &value = body->at(key);
        if (!value.is_string() || QString::fromStdString(value.get<std::string>()).trimmed().isEmpty())
            return message(u"\"%1\" must be a non-empty string"_s.arg(QLatin1StringView(key)),
                           Status::BadRequest);
    }
    const Json &amount = body->at("amount");
    if (!CanonicalJson::isNumber(amount))
        return message(u"\"amount\" must be a number, not %1"_s.arg(QLatin1StringView(kindOf(amount))),
                       Status::BadRequest);
    const Json transaction = Json{{"sender", body->at("sender")},
                                  {"recipient", body->at("recipient")},
                                  {"amount", amount}};
    // Byte budgets: the next block string stays within maxBlockBytes, whatever is sent.
    const qsizetype size = Chain::transactionBytes(transaction);
    const qsizetype budget = m_chain.pendingBudget();
    if (size > budget)
        return message(u"The transaction takes %1 bytes in a block, over the %2 bytes a block"
                       " holds for transactions"_s.arg(size).arg(budget),
                       Status::PayloadTooLarge);
    if (m_chain.pendingBytes() + size > budget)
        return message(u"The next block is full (%1 of %2 bytes of transactions pending):"
                       " try again once it is forged"_s.arg(m_chain.pendingBytes()).arg(budget),
                       Status::ServiceUnavailable);
    if (!m_store->isAvailable())
        return message(u"The chain database is unavailable: try again shortly"_s,
                       Status::ServiceUnavailable);
    if (const Result<void> added = m_store->addPendingTransaction(transaction); !added) {
        qCWarning(lcServer) << "Cannot store a transaction:" << added.errorMessage();
        if (!m_store->isAvailable())
            return message(u"The chain database is unavailable: try again shortly"_s,
                           Status::ServiceUnavailable);
        return message(u"Cannot store the transaction: "_s + added.errorMessage(),
                       Status::InternalServerError);
    }
    const std::int64_t index = m_chain.addTransaction(transaction);
    return message(u"Transaction will be added to Block %1"_s.arg(index), Status::Created);
}
