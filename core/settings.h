#pragma once

#include <memory>

#include <QByteArray>
#include <QString>

class QSettings;

// Every persistent setting of blockforge, with its key and default, behind typed
// getters and setters (qBittorrent's SettingValue idea without the singleton). The
// default store is QSettings' native one for the organization and application names
// set in app/ (~/.config/blockforge/blockforge.conf); tests pass a file path.
class Settings
{
    Q_DISABLE_COPY_MOVE(Settings)

public:
    static constexpr int DefaultServerPort = 5000;
    static constexpr int DefaultServerDifficulty = 6;

    // An empty path uses the native store; otherwise an INI file at filePath.
    explicit Settings(const QString &filePath = {});
    ~Settings();

    QString fileName() const;   // where the settings are stored
    void sync();                // writes pending changes now

    // The miner.
    QString serverUrl() const;                  // "Miner/ServerUrl", valid node URL(s)
    void setServerUrl(const QString &url);      // a blank url forgets the user's choice
    bool hasServerUrl() const;                  // whether the user has set a node URL
    QString idFile() const;                     // "Miner/IdFile"
    void setIdFile(const QString &path);
    int threads() const;                        // "Miner/Threads", 1..Validate::MaxThreads
    void setThreads(int threads);
    QString engine() const;                     // "Miner/Engine", "auto" = the fastest
    void setEngine(const QString &name);

    // The local chain server run inside the window.
    // "Server/Enabled"; until the user sets a node URL (first run), the local server is
    // the default, so that Start Mining mines at once.
    bool serverEnabled() const;
    void setServerEnabled(bool enabled);
    int serverPort() const;                     // "Server/Port", 0 = any free port
    void setServerPort(int port);
    int serverDifficulty() const;               // "Server/Difficulty"
    void setServerDifficulty(int difficulty);
    QString serverDatabasePath() const;         // "Server/DatabasePath"
    void setServerDatabasePath(const QString &path);

    // The window.
    QByteArray windowGeometry() const;          // "Window/Geometry"
    void setWindowGeometry(const QByteArray &geometry);
    QByteArray windowState() const;             // "Window/State"
    void setWindowState(const QByteArray &state);

    // Coins, per node URL and miner id: what this app earned there over every launch,
    // and how far ChainBalance read that node's chain for the id.
    struct CoinRecord
    {
        qint64 earned = 0;
        double chainBalance = 0;
        qint64 chainBlocks = 0;
        QByteArray chainHash;
    };
    CoinRecord coinRecord(const QString &nodeUrl, const QString &id) const;   // "Coins/<key>/..."
    void setCoinRecord(const QString &nodeUrl, const QString &id, const CoinRecord &record);
    // The node and id the coins were last shown for: "Coins/LastNode", "Coins/LastId".
    QString lastCoinNode() const;
    QString lastCoinId() const;
    void setLastCoinAccount(const QString &nodeUrl, const QString &id);

    static QString defaultServerUrl();
    static QString defaultIdFile();             // my_id.txt in the app data folder
    static int defaultThreads();
    static QString autoEngine();                // "auto"
    static QString defaultDatabasePath();       // chain.db in the app data folder

private:
    std::unique_ptr<QSettings> m_settings;
};
