#include "core/chainserver.h"

#include <algorithm>

#include <QElapsedTimer>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QTcpSocket>
#include <QUrlQuery>

#include "core/httplistener.h"
#include "core/logging.h"
#include "core/printable.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;
using StatusCode = QHttpServerResponder::StatusCode;

namespace
{
const QByteArray JsonType = "application/json"_ba;

QHttpServerResponse answer(const Json &json, StatusCode status)
{
    return QHttpServerResponse(JsonType, CanonicalJson::dump(json), status);
}

QHttpServerResponse message(const QString &text, StatusCode status)
{
    return answer(Json{{"message", text.toStdString()}}, status);
}

QString methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return u"GET"_s;
    case QHttpServerRequest::Method::Put: return u"PUT"_s;
    case QHttpServerRequest::Method::Delete: return u"DELETE"_s;
    case QHttpServerRequest::Method::Post: return u"POST"_s;
    case QHttpServerRequest::Method::Head: return u"HEAD"_s;
    case QHttpServerRequest::Method::Options: return u"OPTIONS"_s;
    case QHttpServerRequest::Method::Patch: return u"PATCH"_s;
    case QHttpServerRequest::Method::Connect: return u"CONNECT"_s;
    case QHttpServerRequest::Method::Trace: return u"TRACE"_s;
    default: return u"UNKNOWN"_s;
    }
}

// The body as a JSON object, or a 400 answer naming what is wrong with it.
std::optional<Json> parseObject(const QByteArray &bytes, QString *problem)
{
    QString error;
    std::optional<Json> body = CanonicalJson::parse(bytes, &error);
    if (!body) {
        *problem = u"Malformed JSON body: "_s + error;
        return std::nullopt;
    }
    if (!body->is_object()) {
        *problem = u"The body must be a JSON object"_s;
        return std::nullopt;
    }
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
    if (json.is_number())
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
    , m_store{config.databasePath}
    , m_chain{config.difficulty}
    , m_http{new QHttpServer(this)}
{
    registerRoutes();
}

ChainServer::~ChainServer()
{
    close();
}

bool ChainServer::open(QString *error)
{
    if (m_config.difficulty < 1 || m_config.difficulty > Pow::MaxDifficulty) {
        m_errorString = u"Difficulty %1 is outside 1..%2"_s.arg(m_config.difficulty)
                            .arg(Pow::MaxDifficulty);
    } else if (m_config.reward < 0) {
        m_errorString = u"Reward %1 is negative"_s.arg(m_config.reward);
    } else if (m_config.maxBlockBytes <= BlockReserve) {
        m_errorString = u"A block budget of %1 bytes leaves no room for transactions"_s
                            .arg(m_config.maxBlockBytes);
    } else if (m_store.open(&m_errorString)) {
        std::optional<Chain> chain = m_store.load(m_config.difficulty, &m_errorString);
        if (chain) {
            m_chain = std::move(*chain);
            m_chain.setDifficulty(m_config.difficulty);
            m_chain.setPendingBudget(m_config.maxBlockBytes - BlockReserve);
            refreshAnswers(true);
            return true;
        }
        m_store.close();
    }
    if (error)
        *error = m_errorString;
    return false;
}

quint16 ChainServer::listen(const QHostAddress &address, quint16 port)
{
    if (!m_store.isOpen()) {
        m_errorString = u"Cannot listen before the chain database is open"_s;
        return 0;
    }
    if (m_listener) {
        m_errorString = u"Already listening on port %1"_s.arg(m_port);
        return 0;
    }
    HttpListener::Limits limits;
    limits.maxBodyBytes = MaxBodyBytes;
    limits.requestTimeoutMs = m_config.requestTimeoutMs;
    limits.idleTimeoutMs = m_config.idleTimeoutMs;
    limits.maxConnections = m_config.maxConnections;
    auto *listener = new HttpListener(limits, this);
    if (!listener->listen(address, port)) {
        m_errorString = u"Cannot listen on %1 port %2: %3"_s
                            .arg(address.toString()).arg(port).arg(listener->errorString());
        delete listener;
        return 0;
    }
    connect(listener, &HttpListener::requestRejected, this,
            [this](const QString &method, const QString &path, int status) {
                emit requestServed(method, Printable::escaped(path), status, 0.0);
            });
    m_http->bind(listener);   // reparents it to m_http
    listener->setHttpServer(m_http);
    m_listener = listener;
    m_port = listener->serverPort();
    qCInfo(lcServer) << "Listening on" << address.toString() << "port" << m_port;
    return m_port;
}

void ChainServer::close()
{
    if (m_listener) {
        m_listener->close();
        for (QTcpSocket *socket : m_listener->findChildren<QTcpSocket *>(Qt::FindDirectChildrenOnly))
            socket->abort();
        m_listener->deleteLater();
        m_listener = nullptr;
        m_port = 0;
        qCInfo(lcServer) << "Stopped listening";
    }
    if (m_store.isOpen()) {
        m_store.close();
        qCInfo(lcStore) << "Closed chain database" << m_store.path();
    }
}

void ChainServer::registerRoutes()
{
    using Method = QHttpServerRequest::Method;
    m_http->route(u"/last_block"_s, Method::Get, [this](const QHttpServerRequest &request) {
        return timed(request, [this] { return lastBlock(); });
    });
    m_http->route(u"/chain"_s, Method::Get, [this](const QHttpServerRequest &request) {
        return timed(request, [&] { return fullChain(QUrlQuery(request.url())); });
    });
    m_http->route(u"/mine"_s, Method::Post, [this](const QHttpServerRequest &request) {
        return timed(request, [&] { return submitProof(request.body()); });
    });
    m_http->route(u"/transactions/new"_s, Method::Post, [this](const QHttpServerRequest &request) {
        return timed(request, [&] { return newTransaction(request.body()); });
    });
    m_http->setMissingHandler([this](const QHttpServerRequest &request,
                                     QHttpServerResponder &&responder) {
        QElapsedTimer timer;
        timer.start();
        const QString path = request.url().path();
        QByteArray allow;
        if (path == u"/last_block"_s || path == u"/chain"_s)
            allow = "GET";
        else if (path == u"/mine"_s || path == u"/transactions/new"_s)
            allow = "POST";
        const QString method = methodName(request.method());
        const bool known = !allow.isEmpty();
        const QByteArray body = CanonicalJson::dump(Json{{"message",
            (known ? u"Method %1 is not allowed on %2 (use %3)"_s
                         .arg(method, path, QString::fromLatin1(allow))
                   : u"Not found: %1"_s.arg(path)).toStdString()}});
        const StatusCode status = known ? StatusCode::MethodNotAllowed : StatusCode::NotFound;
        if (known)
            responder.write(body, {{"Content-Type", JsonType}, {"Allow", allow}}, status);
        else
            responder.write(body, {{"Content-Type", JsonType}}, status);
        emit requestServed(method, Printable::escaped(path), static_cast<int>(status),
                           static_cast<double>(timer.nsecsElapsed()) / 1e6);
    });
    // Say what HttpListener does with the connection: closed after this answer, or kept
    // open for an HTTP/1.0 client that asked (such clients close unless told).
    m_http->afterRequest([](QHttpServerResponse &&response, const QHttpServerRequest &request) {
        const QByteArray connection = request.value("connection"_ba).toLower();
        if (connection.contains("close"))
            response.setHeader("Connection"_ba, "close"_ba);
        else if (connection.contains("keep-alive"))
            response.setHeader("Connection"_ba, "keep-alive"_ba);
        return std::move(response);
    });
}

template<typename Handler>
QHttpServerResponse ChainServer::timed(const QHttpServerRequest &request, Handler handler)
{
    QElapsedTimer timer;
    timer.start();
    QHttpServerResponse response = handler();
    emit requestServed(methodName(request.method()), Printable::escaped(request.url().path()),
                       static_cast<int>(response.statusCode()),
                       static_cast<double>(timer.nsecsElapsed()) / 1e6);
    return response;
}

void ChainServer::refreshAnswers(bool rebuildChain)
{
    // The chain keeps the last block's canonical string: reuse it, never write it again.
    m_lastBlockAnswer = "{\"last_block\": " + m_chain.lastBlockString() + ", \"difficulty\": "
        + QByteArray::number(m_chain.difficulty()) + "}";

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
    m_chainAnswerStale = true;
}

QHttpServerResponse ChainServer::lastBlock() const
{
    return QHttpServerResponse(JsonType, m_lastBlockAnswer);
}

QHttpServerResponse ChainServer::fullChain(const QUrlQuery &query)
{
    const qsizetype length = static_cast<qsizetype>(m_blockOffsets.size());
    const auto blocksBetween = [this, length](qsizetype first, qsizetype end) {   // [first, end)
        if (first >= end)
            return QByteArray();
        const qsizetype from = m_blockOffsets[first];
        const qsizetype to = end < length ? m_blockOffsets[end] - 2 : m_chainBlocks.size();
        return m_chainBlocks.mid(from, to - from);
    };
    if (!query.hasQueryItem(u"start"_s) && !query.hasQueryItem(u"limit"_s)) {
        // The classic shape: every block. Built at most once per block, on demand.
        if (m_chainAnswerStale) {
            m_chainAnswer = "{\"chain\": [" + m_chainBlocks + "], \"length\": "
                + QByteArray::number(length) + "}";
            m_chainAnswerStale = false;
        }
        return QHttpServerResponse(JsonType, m_chainAnswer);
    }
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
        return message(u"\"start\" must be a block index, an integer >= 1"_s, StatusCode::BadRequest);
    if (!limitOk || limit < 1 || limit > MaxChainPage)
        return message(u"\"limit\" must be an integer from 1 to %1"_s.arg(MaxChainPage),
                       StatusCode::BadRequest);
    const qsizetype first = static_cast<qsizetype>(std::min<qint64>(start - 1, length));
    const qsizetype end = static_cast<qsizetype>(std::min<qint64>(first + limit, length));
    return QHttpServerResponse(JsonType,
                               "{\"chain\": [" + blocksBetween(first, end) + "], \"length\": "
                                   + QByteArray::number(length) + ", \"limit\": "
                                   + QByteArray::number(limit) + ", \"start\": "
                                   + QByteArray::number(start) + "}");
}

QHttpServerResponse ChainServer::submitProof(const QByteArray &bytes)
{
    QString problem;
    const std::optional<Json> body = parseObject(bytes, &problem);
    if (!body)
        return message(problem, StatusCode::BadRequest);

    const auto proofField = body->find("proof");
    if (proofField == body->end())
        return message(u"Missing field \"proof\""_s, StatusCode::BadRequest);
    const Json &proofJson = *proofField;
    if (!proofJson.is_number_integer())
        return message(u"\"proof\" must be a non-negative integer, not %1"_s
                           .arg(QLatin1StringView(kindOf(proofJson))), StatusCode::BadRequest);
    const std::optional<std::uint64_t> proofValue = Block::proofFrom(proofJson);
    if (!proofValue)
        return message(proofJson.is_number_unsigned()
                           ? u"\"proof\" is too large: proofs are below 2^63"_s
                           : u"\"proof\" must be a non-negative integer, not negative"_s,
                       StatusCode::BadRequest);
    const std::uint64_t proof = *proofValue;

    const auto idField = body->find("id");
    if (idField == body->end())
        return message(u"Missing field \"id\""_s, StatusCode::BadRequest);
    if (!idField->is_string())
        return message(u"\"id\" must be a string, not %1"_s.arg(QLatin1StringView(kindOf(*idField))),
                       StatusCode::BadRequest);
    const QString id = QString::fromStdString(idField->get<std::string>()).trimmed();
    if (id.isEmpty())
        return message(u"\"id\" is blank"_s, StatusCode::BadRequest);
    // Counted in code points: an astral character (an emoji) is two UTF-16 units.
    const auto codePoints = std::count_if(id.cbegin(), id.cend(),
                                          [](QChar c) { return !c.isLowSurrogate(); });
    if (codePoints > MaxIdLength)
        return message(u"\"id\" is longer than %1 characters"_s.arg(MaxIdLength),
                       StatusCode::BadRequest);

    // One thread runs every handler, so from this check to the commit below no other
    // submission can run: the first valid proof wins.
    if (!m_chain.isValidProof(proof)) {
        if (const std::optional<std::int64_t> stale = m_chain.staleBlockFor(proof))
            return answer(Json{{"message", u"Stale proof: block %1 was already forged"_s
                                               .arg(*stale).toStdString()},
                               {"stale", true},
                               {"index", *stale}},
                          StatusCode::Conflict);
        return message(u"Invalid proof"_s, StatusCode::BadRequest);
    }
    Block block = m_chain.forge(proof, id, m_config.reward);
    QString error;
    if (!m_store.appendBlock(block, m_chain.difficulty(), &error)) {
        qCWarning(lcServer) << "Cannot store block" << block.index() << ":" << error;
        return message(u"Cannot store the block: "_s + error, StatusCode::InternalServerError);
    }
    m_chain.append(block);
    refreshAnswers(false);
    qCInfo(lcServer).noquote() << "Forged block" << block.index() << "for"
                               << Printable::escaped(id) << "proof" << proof;
    emit blockForged(block);
    return answer(Json{{"message", "New Block Forged"},
                       {"index", block.index()},
                       {"transactions", block.transactions()},
                       {"proof", proof},
                       {"previous_hash", block.value.at("previous_hash")},
                       {"reward", m_config.reward}},
                  StatusCode::Ok);
}

QHttpServerResponse ChainServer::newTransaction(const QByteArray &bytes)
{
    QString problem;
    const std::optional<Json> body = parseObject(bytes, &problem);
    if (!body)
        return message(problem, StatusCode::BadRequest);
    for (const char *key : {"sender", "recipient", "amount"}) {
        if (!body->contains(key))
            return message(u"Missing field \"%1\""_s.arg(QLatin1StringView(key)),
                           StatusCode::BadRequest);
    }
    for (const char *key : {"sender", "recipient"}) {
        const Json &value = body->at(key);
        if (!value.is_string() || QString::fromStdString(value.get<std::string>()).trimmed().isEmpty())
            return message(u"\"%1\" must be a non-empty string"_s.arg(QLatin1StringView(key)),
                           StatusCode::BadRequest);
    }
    const Json &amount = body->at("amount");
    if (!amount.is_number())
        return message(u"\"amount\" must be a number, not %1"_s.arg(QLatin1StringView(kindOf(amount))),
                       StatusCode::BadRequest);
    const Json transaction = Json{{"sender", body->at("sender")},
                                  {"recipient", body->at("recipient")},
                                  {"amount", amount}};
    // Byte budgets: the next block string stays within maxBlockBytes, whatever is sent.
    const qsizetype size = Chain::transactionBytes(transaction);
    const qsizetype budget = m_chain.pendingBudget();
    if (size > budget)
        return message(u"The transaction takes %1 bytes in a block, over the %2 bytes a block"
                       " holds for transactions"_s.arg(size).arg(budget),
                       StatusCode::PayloadTooLarge);
    if (m_chain.pendingBytes() + size > budget)
        return message(u"The next block is full (%1 of %2 bytes of transactions pending):"
                       " try again once it is forged"_s.arg(m_chain.pendingBytes()).arg(budget),
                       StatusCode::ServiceUnavailable);
    QString error;
    if (!m_store.addPendingTransaction(transaction, &error)) {
        qCWarning(lcServer) << "Cannot store a transaction:" << error;
        return message(u"Cannot store the transaction: "_s + error, StatusCode::InternalServerError);
    }
    const std::int64_t index = m_chain.addTransaction(transaction);
    return message(u"Transaction will be added to Block %1"_s.arg(index), StatusCode::Created);
}
