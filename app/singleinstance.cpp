#include "app/singleinstance.h"

#include <algorithm>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>
#include <QLoggingCategory>
#include <QThread>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace
{
Q_LOGGING_CATEGORY(lcInstance, "blockforge.ui")

constexpr int AnswerWaitMs = 5000;   // the first instance may still be starting
constexpr int RetryPauseMs = 100;
constexpr int RequestWaitMs = 3000;   // for a connected launch to say what it wants
const QByteArray ShowRequest = "show\n";
const QByteArray ShownAnswer = "shown\n";
}

SingleInstance::SingleInstance(const QString &lockPath, QObject *parent)
    : QObject{parent}
    , m_lock{std::make_unique<QLockFile>(lockPath)}
{
    // A name short enough for a Unix socket path, private to the lock file.
    const QByteArray key = QFileInfo(lockPath).absoluteFilePath().toUtf8();
    m_socketName = u"blockforge-%1"_s.arg(QString::fromLatin1(
        QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex().left(24)));
    // Only a lock whose process is gone is stale, however old it is.
    m_lock->setStaleLockTime(0);
}

SingleInstance::~SingleInstance() = default;

SingleInstance::Role SingleInstance::claim(QString *message)
{
    QDir().mkpath(QFileInfo(m_lock->fileName()).absolutePath());
    if (m_lock->tryLock(0)) {
        m_server = new QLocalServer(this);
        m_server->setSocketOptions(QLocalServer::UserAccessOption);
        QLocalServer::removeServer(m_socketName);   // a socket left by a killed instance
        if (!m_server->listen(m_socketName))
            qCWarning(lcInstance).noquote()
                << "Cannot listen for a second launch on" << m_socketName << ":"
                << m_server->errorString() << "(a second launch will say so)";
        connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::serveConnection);
        return Role::Primary;
    }
    if (m_lock->error() != QLockFile::LockFailedError) {
        *message = u"cannot create the lock file %1 (%2): running without the one-window "
                   "check"_s.arg(QDir::toNativeSeparators(m_lock->fileName()),
                                 m_lock->error() == QLockFile::PermissionError
                                     ? u"permission denied"_s
                                     : u"unknown error"_s);
        return Role::Unguarded;
    }
    qint64 pid = 0;
    QString host;
    QString application;
    m_lock->getLockInfo(&pid, &host, &application);

    // Before the window exists, so a blocking wait freezes nothing.
    const QDeadlineTimer deadline(AnswerWaitMs);
    QString problem;
    while (!deadline.hasExpired()) {
        QLocalSocket socket;
        socket.connectToServer(m_socketName);
        if (socket.waitForConnected(static_cast<int>(deadline.remainingTime()))) {
            socket.write(ShowRequest);
            QByteArray answer;
            while (!answer.endsWith('\n') && socket.waitForReadyRead(
                       static_cast<int>(std::max<qint64>(1, deadline.remainingTime()))))
                answer += socket.readAll();
            if (answer == ShownAnswer) {
                *message = u"already running (process %1): its window was "
                           "raised, and nothing was changed here"_s.arg(pid);
                return Role::Secondary;
            }
            problem = socket.errorString();
        } else {
            problem = socket.errorString();
        }
        QThread::msleep(RetryPauseMs);
    }
    *message = u"already running (process %1, lock %2) but does not answer "
               "(%3); close it, or end that process"_s.arg(pid)
                   .arg(QDir::toNativeSeparators(m_lock->fileName()), problem);
    return Role::Failed;
}

void SingleInstance::serveConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        // A peer that says nothing is not a launch of ours: it does not stay.
        QTimer::singleShot(RequestWaitMs, socket, [socket] { socket->abort(); });
        connect(socket, &QLocalSocket::readyRead, socket, [this, socket] {
            if (!socket->canReadLine()) {
                if (socket->bytesAvailable() > 64)
                    socket->abort();   // not a launch of ours
                return;
            }
            if (socket->readLine(64) == ShowRequest) {
                qCInfo(lcInstance) << "A second launch asked for the window: raised it";
                emit activationRequested();
                socket->write(ShownAnswer);
            }
            socket->disconnectFromServer();
        });
    }
}
