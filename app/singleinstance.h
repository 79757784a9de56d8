#pragma once

#include <memory>

#include <QObject>
#include <QString>

class QLocalServer;
class QLockFile;

// One window per user (per settings file): the first launch holds a lock file next to
// the settings and listens on a local socket; a later launch finds the lock, asks the
// first one over the socket to show its window, and ends without touching the
// settings or the local server's database. A lock left by a process that is gone is
// taken over.
class SingleInstance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleInstance)

public:
    enum class Role { Primary, Secondary, Unguarded, Failed };

    // lockPath: the lock file (next to the settings file); the socket's name is
    // derived from it.
    explicit SingleInstance(const QString &lockPath, QObject *parent = nullptr);
    ~SingleInstance() override;

    // Primary: this process is the one (it holds the lock and listens). Secondary:
    // another one runs and was asked to show its window. Unguarded: the lock file
    // cannot be created (a read-only or broken config folder): run, without the check.
    // Failed: another one holds the lock but does not answer. message says what
    // happened, for the terminal, in the last three cases. Blocks for at most a few
    // seconds, and only before any window exists.
    Role claim(QString *message);

signals:
    void activationRequested();   // a second launch asked for the window

private:
    void serveConnection();

    QString m_socketName;
    std::unique_ptr<QLockFile> m_lock;
    QLocalServer *m_server = nullptr;   // child of this, while primary
};
