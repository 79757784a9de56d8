#include "core/postgreschainstore.h"

#include <atomic>
#include <utility>

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>
#include <QVariant>

#include "core/logging.h"
#include "core/sqlchain.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace
{
constexpr int ReconnectMs = 500;
constexpr int PollMs = 1000;
constexpr int ConnectTimeoutSeconds = 5;
// No statement may hold a server's one thread for long: a stuck database is a gone one.
constexpr int StatementTimeoutMs = 10'000;
// Taken while creating the tables, so that servers starting together on a new database
// do not race in CREATE TABLE IF NOT EXISTS (which is not safe against itself).
constexpr qint64 SchemaLockKey = 0x626c6b66;   // "blkf"

std::atomic<int> s_connectionCounter {0};
}

PostgresChainStore::PostgresChainStore(const QString &location)
    : m_location{location}
    , m_url{location, QUrl::StrictMode}
    , m_connectionName{u"blockforge-pgstore-%1"_s.arg(s_connectionCounter.fetch_add(1))}
    , m_reconnectTimer{new QTimer(this)}
    , m_pollTimer{new QTimer(this)}
{
    m_reconnectTimer->setInterval(ReconnectMs);
    m_pollTimer->setInterval(PollMs);
    connect(m_reconnectTimer, &QTimer::timeout, this, &PostgresChainStore::tryReconnect);
    connect(m_pollTimer, &QTimer::timeout, this, &PostgresChainStore::poll);
}

PostgresChainStore::~PostgresChainStore()
{
    close();
}

QString PostgresChainStore::displayName() const
{
    if (!m_url.isValid())
        return u"(an invalid PostgreSQL URL)"_s;
    // Never the password.
    return m_url.toString(QUrl::RemovePassword);
}

QString PostgresChainStore::oneLine(const QString &text) const
{
    QString line = text.simplified();
    const QString password = m_url.password();
    if (!password.isEmpty())
        line.replace(password, u"***"_s);
    return line;
}

Result<void> PostgresChainStore::open()
{
    close();
    const QString what = u"Cannot open chain database \"%1\": "_s.arg(displayName());
    const QString scheme = m_url.scheme();
    if (!m_url.isValid() || (scheme != u"postgresql"_s && scheme != u"postgres"_s))
        return Error{what + u"expected postgresql://user:password@host:port/dbname"_s};
    if (!QSqlDatabase::isDriverAvailable(u"QPSQL"_s))
        return Error{what + u"Qt's PostgreSQL driver (QPSQL) is missing: install"
                            " libqt6sql6-psql"_s};
    if (const Result<void> connected = openConnection(); !connected)
        return Error{what + connected.errorMessage()};
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<void> ready;
    if (!db.transaction())
        ready = Error{db.lastError().text()};
    QStringList statements{u"SELECT pg_advisory_xact_lock(%1)"_s.arg(SchemaLockKey)};
    statements += SqlChain::schema(SqlChain::Dialect::Postgres);
    for (const QString &statement : std::as_const(statements)) {
        if (!ready)
            break;
        QSqlQuery query(db);
        if (!query.exec(statement))
            ready = Error{query.lastError().text()};
    }
    if (ready)
        ready = SqlChain::checkFormat(db);
    if (ready && !db.commit())
        ready = Error{db.lastError().text()};
    if (!ready) {
        db.rollback();
        db = QSqlDatabase();
        close();
        return Error{what + oneLine(ready.errorMessage())};
    }
    m_pollTimer->start();
    qCInfo(lcStore).noquote() << "Opened chain database" << displayName();
    return {};
}

void PostgresChainStore::ThreadJoiner::operator()(QThread *thread) const
{
    thread->wait();
    delete thread;
}

// Called from the store's thread and from the probe thread: it only reads m_url.
void PostgresChainStore::configure(QSqlDatabase &db) const
{
    db.setHostName(m_url.host());
    if (m_url.port() != -1)
        db.setPort(m_url.port());
    db.setUserName(m_url.userName());
    db.setPassword(m_url.password());
    QString name = m_url.path();
    if (name.startsWith(u'/'))
        name.remove(0, 1);
    db.setDatabaseName(name.isEmpty() ? m_url.userName() : name);
    // A peer that stops answering mid-statement is given up on after a few seconds.
    QStringList options{u"connect_timeout=%1"_s.arg(ConnectTimeoutSeconds),
                        u"options='-c statement_timeout=%1 -c client_min_messages=warning'"_s
                            .arg(StatementTimeoutMs),
                        u"keepalives_idle=5"_s, u"keepalives_interval=2"_s,
                        u"keepalives_count=2"_s, u"tcp_user_timeout=5000"_s};
    const QUrlQuery query(m_url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!key.isEmpty() && !key.contains(u' ') && !key.contains(u'=') && !key.contains(u';')
            && !value.contains(u';'))
            options.append(key + u"='"_s + QString(value).replace(u"'"_s, u"\\'"_s) + u"'"_s);
    }
    db.setConnectOptions(options.join(u';'));
}

Result<void> PostgresChainStore::openConnection()
{
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, m_connectionName);
        configure(db);
        if (!db.open()) {
            const QString reason = oneLine(db.lastError().text());
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connectionName);
            return Error{reason};
        }
        QSqlDriver *driver = db.driver();
        if (!driver->subscribeToNotification(QLatin1StringView(SqlChain::NotifyChannel))) {
            const QString reason = oneLine(driver->lastError().text());
            db.close();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connectionName);
            return Error{u"cannot LISTEN for new blocks: "_s + reason};
        }
        connect(driver, &QSqlDriver::notification, this, &PostgresChainStore::onNotification);
    }
    m_open = true;
    m_available = true;
    return {};
}

void PostgresChainStore::closeConnection()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.driver())
            disconnect(db.driver(), nullptr, this, nullptr);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

void PostgresChainStore::close()
{
    m_reconnectTimer->stop();
    m_pollTimer->stop();
    closeConnection();
    m_open = false;
    m_available = false;
}

Result<void> PostgresChainStore::ensureAvailable()
{
    if (!m_open)
        return Error{u"the database is not open"_s};
    if (m_available && !QSqlDatabase::database(m_connectionName, false).isOpen())
        connectionLost(u"the server closed the connection"_s);   // the driver saw it end
    if (!m_available)
        return Error{u"the chain database is unavailable (reconnecting)"_s};
    return {};
}

bool PostgresChainStore::stillConnected()
{
    if (!m_available)
        return false;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.isOpen()) {   // the driver saw the connection end
        db = QSqlDatabase();
        connectionLost(u"the server closed the connection"_s);
        return false;
    }
    QSqlQuery ping(db);
    if (ping.exec(u"SELECT 1"_s))
        return true;
    const QString reason = oneLine(ping.lastError().text());
    ping = QSqlQuery();
    connectionLost(reason);
    return false;
}

void PostgresChainStore::connectionLost(const QString &reason)
{
    if (!m_available)
        return;
    qCWarning(lcStore).noquote() << "Lost the chain database" << displayName() << ":" << reason
                                 << "(reconnecting)";
    m_available = false;
    closeConnection();
    m_pollTimer->stop();
    m_reconnectTimer->start();
    emit availabilityChanged(false);
}

void PostgresChainStore::tryReconnect()
{
    if (m_probe && m_probe->isRunning())
        return;
    // The probe's own connection, in its own thread: a slow or silent database blocks it,
    // never this thread.
    const QString name = m_connectionName + u"-probe"_s;
    m_probe.reset(QThread::create([this, name] {
        bool reachable = false;
        QString reason;
        {
            // Made in this thread, as a connection is only used by the thread that made it.
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, name);
            configure(db);
            reachable = db.open();
            if (!reachable)
                reason = db.lastError().text();
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
        QMetaObject::invokeMethod(this, [this, reachable, reason] {
            probeFinished(reachable, reason);
        }, Qt::QueuedConnection);
    }));
    m_probe->start();
}

void PostgresChainStore::probeFinished(bool reachable, const QString &reason)
{
    if (m_available || !m_reconnectTimer->isActive())
        return;   // closed meanwhile
    const Result<void> connected = reachable ? openConnection() : Result<void>(Error{reason});
    if (!connected) {
        qCDebug(lcStore).noquote() << "Reconnecting to" << displayName() << "failed:"
                                   << oneLine(connected.errorMessage());
        return;
    }
    m_reconnectTimer->stop();
    m_pollTimer->start();
    qCInfo(lcStore).noquote() << "Reconnected to the chain database" << displayName();
    emit availabilityChanged(true);
    poll();   // blocks forged while this server was away were never notified
}

void PostgresChainStore::poll()
{
    if (!m_available)
        return;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<std::int64_t> length = db.isOpen()
        ? SqlChain::storedLength(db)
        : Result<std::int64_t>(Error{u"the server closed the connection"_s});
    if (!length) {
        db = QSqlDatabase();
        connectionLost(oneLine(length.errorMessage()));
        return;
    }
    // Every tick, not only when the height changed: a follower that could not read a
    // block it was told of (the database went away mid-read) catches up on the next one.
    emit tipChanged(*length);
}

void PostgresChainStore::onNotification(const QString &name, QSqlDriver::NotificationSource,
                                        const QVariant &payload)
{
    if (name != QLatin1StringView(SqlChain::NotifyChannel))
        return;
    bool ok = false;
    const qint64 height = payload.toString().toLongLong(&ok);
    if (ok)
        emit tipChanged(height);
}

Result<Chain> PostgresChainStore::load(int difficulty)
{
    const QString what = u"Chain database \"%1\" "_s.arg(displayName());
    if (const Result<void> available = ensureAvailable(); !available)
        return Error{what + available.errorMessage()};
    for (int attempt = 0; attempt < 2; ++attempt) {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        Result<std::optional<Chain>> stored = SqlChain::load(db, SqlChain::Dialect::Postgres,
                                                             what, difficulty);
        if (!stored)
            return stored.error();
        if (*stored) {
            Chain &chain = **stored;
            qCInfo(lcStore).noquote() << "Loaded" << chain.length() << "blocks and"
                                      << chain.pendingTransactions().size()
                                      << "pending transactions from" << displayName();
            return std::move(chain);
        }
        Chain created(difficulty);
        const Result<bool> genesis = SqlChain::createGenesis(db, SqlChain::Dialect::Postgres,
                                                             created.lastBlock());
        if (!genesis) {
            return Error{what + u"cannot store the genesis block: "_s
                         + oneLine(genesis.errorMessage())};
        }
        if (*genesis) {
            qCInfo(lcStore).noquote() << "Created a new chain in" << displayName();
            return created;
        }
        // Another server starting at the same moment stored its genesis first: read it.
    }
    return Error{what + u"cannot be read: it changed while being read twice"_s};
}

Result<std::optional<Block>> PostgresChainStore::forgeNext(const Block &previous, int difficulty,
                                                           const BlockBuilder &build)
{
    if (const Result<void> available = ensureAvailable(); !available)
        return available.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<std::optional<Block>> forged = SqlChain::forgeNext(db, SqlChain::Dialect::Postgres,
                                                              previous, difficulty, build);
    db = QSqlDatabase();
    if (forged)
        return forged;
    // A lost connection leaves the store unavailable (503); anything else is a failure.
    if (!stillConnected())
        return Error{u"the chain database is unavailable: "_s + oneLine(forged.errorMessage())};
    return Error{oneLine(forged.errorMessage())};
}

Result<void> PostgresChainStore::appendBlock(const Block &block, int difficulty)
{
    if (Result<void> available = ensureAvailable(); !available)
        return available;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<void> appended = SqlChain::appendBlock(db, SqlChain::Dialect::Postgres, block,
                                                        difficulty);
    if (appended)
        return appended;
    db = QSqlDatabase();
    stillConnected();
    return Error{oneLine(appended.errorMessage())};
}

Result<void> PostgresChainStore::addPendingTransaction(const Json &transaction)
{
    if (Result<void> available = ensureAvailable(); !available)
        return available;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<void> added = SqlChain::addPendingTransaction(db, transaction);
    if (added)
        return added;
    db = QSqlDatabase();
    stillConnected();
    return Error{oneLine(added.errorMessage())};
}

Result<ChainStore::Update> PostgresChainStore::readSince(std::int64_t height)
{
    if (const Result<void> available = ensureAvailable(); !available)
        return available.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<Update> update = SqlChain::readSince(db, height);
    if (update)
        return update;
    db = QSqlDatabase();
    stillConnected();
    return Error{oneLine(update.errorMessage())};
}

Result<void> PostgresChainStore::importChain(const Chain &chain)
{
    if (Result<void> available = ensureAvailable(); !available)
        return available;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const Result<void> imported = SqlChain::importChain(db, SqlChain::Dialect::Postgres, chain);
    if (imported)
        return imported;
    return Error{oneLine(imported.errorMessage())};
}
