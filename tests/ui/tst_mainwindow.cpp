#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTabWidget>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include "core/chain.h"
#include "core/miningmodel.h"
#include "core/settings.h"
#include "ui/mainwindow.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;     // network and mining waits: a hang check, not a speed test

// A tiny HTTP/1.1 server for misbehaving peers: each request (method and path) is
// answered with whatever raw bytes the test's responder returns, then the connection
// is closed.
class FakeHttpServer final : public QTcpServer
{
public:
    using Responder = std::function<QByteArray(const QByteArray &method, const QByteArray &path)>;

    explicit FakeHttpServer(Responder responder)
        : m_responder{std::move(responder)}
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { serve(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    int requests = 0;

private:
    void serve(QTcpSocket *socket)
    {
        QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
        socket->setProperty("buffer", buffer);
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        qsizetype length = 0;
        for (const QByteArray &line : buffer.left(headerEnd).split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < headerEnd + 4 + length)
            return;
        const QList<QByteArray> requestLine = buffer.left(buffer.indexOf("\r\n")).split(' ');
        ++requests;
        socket->write(m_responder(requestLine.value(0), requestLine.value(1)));
        socket->disconnectFromHost();
    }

    Responder m_responder;
};

QByteArray httpAnswer(int status, const QByteArray &contentType, const QByteArray &body)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: " + contentType
        + "\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\nConnection: close\r\n\r\n" + body;
}

const QByteArray GenesisAnswer =
    R"({"last_block": {"index": 1, "previous_hash": 1, "proof": 100,)"
    R"( "timestamp": 1732435200.5, "transactions": []}, "difficulty": 1})";
}

class TestMainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void opensWithAllParts();
    void remembersSettingsAndId();
    void minesOnEmbeddedServer();
    void serverActionMovesMinerOntoIt();
    void shortcutStartsAndStops();
    void htmlMessageShowsLiterally();
    void garbageServerLeavesWindowUsable();
    void badInputIsExplained();
    void refreshShowsTheSnapshot();
    void failedPollShowsSearchingAndTheClockRuns();
    void guiLatencyWhileAllCoresMine_data();
    void guiLatencyWhileAllCoresMine();

private:
    void createWindow();
    template<typename T>
    T *child(const QString &name) const
    {
        T *widget = m_window->findChild<T *>(name);
        if (!widget)
            qWarning("No %s named %s", T::staticMetaObject.className(), qPrintable(name));
        return widget;
    }
    QString text(const QString &labelName) const { return child<QLabel>(labelName)->text(); }
    qint64 number(const QString &labelName) const
    {
        QString digits = text(labelName);
        digits.remove(QRegularExpression(u"[^0-9]"_s));
        return digits.toLongLong();
    }
    QString logText() const { return child<QPlainTextEdit>(u"responseLog"_s)->toPlainText(); }
    void clickStartStop()
    {
        QTest::mouseClick(child<QPushButton>(u"startStopButton"_s), Qt::LeftButton);
    }
    void enableLocalServer(int difficulty);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Settings> m_settings;
    std::unique_ptr<MiningModel> m_model;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QLoggingCategory::setFilterRules(u"blockforge.*.debug=false"_s);
}

void TestMainWindow::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_settings = std::make_unique<Settings>(m_dir->filePath(u"settings.ini"_s));
    m_settings->setIdFile(m_dir->filePath(u"my_id.txt"_s));
    m_settings->setServerDatabasePath(m_dir->filePath(u"data/chain.db"_s));
    m_settings->setServerPort(0);
    m_settings->setThreads(1);
}

void TestMainWindow::cleanup()
{
    m_window.reset();
    m_model.reset();
    m_settings.reset();
    m_dir.reset();
}

void TestMainWindow::createWindow()
{
    m_model = std::make_unique<MiningModel>();
    m_window = std::make_unique<MainWindow>(*m_settings, *m_model);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestMainWindow::enableLocalServer(int difficulty)
{
    child<QSpinBox>(u"localServerDifficultySpin"_s)->setValue(difficulty);
    QTest::mouseClick(child<QCheckBox>(u"localServerCheck"_s), Qt::LeftButton, {},
                      QPoint(8, child<QCheckBox>(u"localServerCheck"_s)->height() / 2));
    QVERIFY(m_model->isLocalServerRunning());
}

void TestMainWindow::opensWithAllParts()
{
    createWindow();
    for (const QString &name : {u"nodeUrlEdit"_s, u"minerIdEdit"_s, u"idFileEdit"_s}) {
        QVERIFY2(child<QLineEdit>(name), qPrintable(name));
        QVERIFY(child<QLineEdit>(name)->isVisible());
    }
    QVERIFY(child<QSpinBox>(u"threadsSpin"_s)->isVisible());
    QCOMPARE(child<QSpinBox>(u"threadsSpin"_s)->value(), 1);
    auto *engines = child<QComboBox>(u"engineCombo"_s);
    QVERIFY(engines->count() >= 2);
    QCOMPARE(engines->itemData(0).toString(), u"auto"_s);
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Start Mining"_s);
    QVERIFY(child<QCheckBox>(u"localServerCheck"_s)->isVisible());
    QVERIFY(!child<QCheckBox>(u"localServerCheck"_s)->isChecked());
    QCOMPARE(child<QSpinBox>(u"localServerDifficultySpin"_s)->value(), 6);
    QVERIFY(text(u"localServerStateLabel"_s).contains(u"Not running"_s));
    for (const QString &name : {u"coinsLabel"_s, u"hashRateLabel"_s, u"hashRateAveragesLabel"_s,
                                u"elapsedLabel"_s, u"workLabel"_s,
                                u"acceptedCount"_s, u"staleCount"_s, u"rejectedCount"_s,
                                u"lastBlockIndex"_s, u"lastBlockHash"_s, u"lastBlockPreviousHash"_s,
                                u"lastBlockProof"_s, u"lastBlockTime"_s, u"minerStatusLabel"_s,
                                u"serverStatusLabel"_s}) {
        QVERIFY2(child<QLabel>(name), qPrintable(name));
        QVERIFY2(child<QLabel>(name)->isVisible(), qPrintable(name));
    }
    QCOMPARE(text(u"coinsLabel"_s), u"0"_s);
    QCOMPARE(text(u"acceptedCount"_s), u"0"_s);
    QCOMPARE(text(u"elapsedLabel"_s), u"00:00"_s);
    QCOMPARE(text(u"hashRateLabel"_s), u"0 H/s"_s);
    QCOMPARE(text(u"hashRateAveragesLabel"_s), u"10 s: n/a, 60 s: n/a, 15 min: n/a"_s);
    QCOMPARE(text(u"workLabel"_s), u"Press Start Mining (Ctrl+Return or F5)."_s);
    QCOMPARE(child<QSpinBox>(u"threadsSpin"_s)->maximum(), 1024);
    QVERIFY(child<QPlainTextEdit>(u"lastBlockTransactions"_s));

    auto *log = child<QPlainTextEdit>(u"responseLog"_s);
    QVERIFY(log->isReadOnly());
    QCOMPARE(log->maximumBlockCount(), 1000);

    auto *start = child<QAction>(u"startStopAction"_s);
    QVERIFY(start->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Return)));
    QVERIFY(start->shortcuts().contains(QKeySequence(Qt::Key_F5)));
    QVERIFY(child<QAction>(u"localServerAction"_s)->isCheckable());
    QStringList menus;
    for (QAction *menu : m_window->menuBar()->actions())
        menus << menu->text().remove(u'&');
    QCOMPARE(menus, QStringList({u"File"_s, u"Mining"_s, u"Server"_s, u"Help"_s}));

    // The mining view is the first tab; statistics and the chain explorer follow.
    auto *tabs = child<QTabWidget>(u"mainTabs"_s);
    QVERIFY(tabs);
    QStringList tabTitles;
    for (int i = 0; i < tabs->count(); ++i)
        tabTitles << tabs->tabText(i).remove(u'&');
    QCOMPARE(tabTitles, QStringList({u"Mining"_s, u"Statistics"_s, u"Chain"_s}));
    QCOMPARE(tabs->currentIndex(), 0);
    QCOMPARE(tabs->widget(1), child<QWidget>(u"statisticsView"_s));
    QCOMPARE(tabs->widget(2), child<QWidget>(u"chainExplorer"_s));
    const QList<QAction *> fileActions = m_window->menuBar()->actions().first()->menu()->actions();
    QVERIFY(fileActions.contains(child<QAction>(u"exportFoundBlocksAction"_s)));

    // Tab order: the form from top to bottom, then the big button, then the log.
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    child<QLineEdit>(u"nodeUrlEdit"_s)->setFocus();
    const QStringList order = {u"minerIdEdit"_s, u"idFileEdit"_s, u"browseIdFileButton"_s,
                               u"threadsSpin"_s, u"engineCombo"_s, u"localServerCheck"_s,
                               u"localServerPortSpin"_s, u"localServerDifficultySpin"_s,
                               u"startStopButton"_s, u"responseLog"_s};
    for (const QString &name : order) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QCOMPARE(QApplication::focusWidget(), child<QWidget>(name));
    }
}

void TestMainWindow::remembersSettingsAndId()
{
    QFile idFile(m_settings->idFile());
    QVERIFY(idFile.open(QIODevice::WriteOnly));
    idFile.write("  alice \n");
    idFile.close();

    createWindow();
    QCOMPARE(child<QLineEdit>(u"minerIdEdit"_s)->text(), u"alice"_s);
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://node.example:8080"_s);
    child<QSpinBox>(u"threadsSpin"_s)->setValue(2);
    child<QSpinBox>(u"localServerDifficultySpin"_s)->setValue(3);
    auto *engines = child<QComboBox>(u"engineCombo"_s);
    engines->setCurrentIndex(engines->count() - 1);
    const QString engine = engines->currentData().toString();
    m_window->resize(900, 700);
    m_window->close();
    m_window.reset();

    const Settings saved(m_settings->fileName());
    QCOMPARE(saved.serverUrl(), u"http://node.example:8080"_s);
    QCOMPARE(saved.threads(), 2);
    QCOMPARE(saved.serverDifficulty(), 3);
    QCOMPARE(saved.engine(), engine);
    QVERIFY(!saved.windowGeometry().isEmpty());

    createWindow();
    QCOMPARE(child<QLineEdit>(u"nodeUrlEdit"_s)->text(), u"http://node.example:8080"_s);
    QCOMPARE(child<QSpinBox>(u"threadsSpin"_s)->value(), 2);
    QCOMPARE(child<QComboBox>(u"engineCombo"_s)->currentData().toString(), engine);
    QCOMPARE(m_window->size(), QSize(900, 700));
}

void TestMainWindow::minesOnEmbeddedServer()
{
    createWindow();
    enableLocalServer(2);
    const QString url = m_model->localServerUrl().toString();
    QVERIFY(url.startsWith(u"http://127.0.0.1:"_s));
    QCOMPARE(child<QLineEdit>(u"nodeUrlEdit"_s)->text(), url);
    QVERIFY(child<QLineEdit>(u"nodeUrlEdit"_s)->isReadOnly());
    QVERIFY(text(u"localServerStateLabel"_s).contains(url));
    QVERIFY(text(u"serverStatusLabel"_s).contains(url));
    QTRY_COMPARE_WITH_TIMEOUT(text(u"lastBlockIndex"_s), u"1"_s, WaitMs);   // genesis

    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"carol"_s);
    clickStartStop();
    QVERIFY(m_window->isMining());
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Stop Mining"_s);
    QVERIFY(!child<QLineEdit>(u"minerIdEdit"_s)->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(number(u"acceptedCount"_s) >= 3, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->windowTitle().startsWith(u"blockforge \u2014 mining, "_s),
                             WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(number(u"lastBlockIndex"_s) >= 3, WaitMs);
    QCOMPARE(text(u"lastBlockHash"_s).size(), 64);
    QCOMPARE(text(u"lastBlockPreviousHash"_s).size(), 64);
    QTRY_VERIFY_WITH_TIMEOUT(
        child<QPlainTextEdit>(u"lastBlockTransactions"_s)->toPlainText().contains(
            u"carol gets 1 (reward)"_s), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"HTTP 200: New Block Forged (accepted; coins "_s),
                             WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(text(u"hashRateLabel"_s) != u"0 H/s"_s, WaitMs);
    QVERIFY(text(u"localServerStateLabel"_s).contains(u" blocks"_s));

    clickStartStop();
    QVERIFY(!m_window->isMining());
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Start Mining"_s);
    QVERIFY(child<QLineEdit>(u"minerIdEdit"_s)->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(m_model->snapshot().state, MiningSnapshot::State::Stopped, WaitMs);
    // Once stopped, the figures are the model's, and stay so.
    const MiningSnapshot s = m_model->snapshot();
    QTRY_COMPARE_WITH_TIMEOUT(number(u"coinsLabel"_s), s.coins, WaitMs);
    QCOMPARE(number(u"acceptedCount"_s), s.accepted);
    QCOMPARE(text(u"hashRateLabel"_s), u"0 H/s"_s);
    QCOMPARE(m_window->windowTitle(), u"blockforge"_s);
    QCOMPARE(text(u"workLabel"_s), u"Stopped."_s);
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"Stopped. Blocks: "_s), WaitMs);
    QTest::qWait(3 * MiningModel::UpdateIntervalMs);
    QCOMPARE(number(u"coinsLabel"_s), s.coins);

    // Turning the server off while mining stops the miner and gives the URL back.
    clickStartStop();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isMining(), WaitMs);
    QTest::mouseClick(child<QCheckBox>(u"localServerCheck"_s), Qt::LeftButton, {},
                      QPoint(8, child<QCheckBox>(u"localServerCheck"_s)->height() / 2));
    QVERIFY(!m_model->isLocalServerRunning());
    QVERIFY(!m_window->isMining());
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Start Mining"_s);
    QVERIFY(!child<QCheckBox>(u"localServerCheck"_s)->isChecked());
    QVERIFY(!child<QAction>(u"localServerAction"_s)->isChecked());
    QCOMPARE(child<QLineEdit>(u"nodeUrlEdit"_s)->text(), Settings::defaultServerUrl());
    QVERIFY(!child<QLineEdit>(u"nodeUrlEdit"_s)->isReadOnly());
    QVERIFY(text(u"localServerStateLabel"_s).contains(u"Not running"_s));
    QTRY_VERIFY_WITH_TIMEOUT(
        logText().contains(u"Local chain server stopped, and mining with it"_s), WaitMs);
}

void TestMainWindow::serverActionMovesMinerOntoIt()
{
    // Mining on a server that is down, then the menu action turns the local server
    // on: the miner moves onto it.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 closedPort = closed.serverPort();
    closed.close();
    m_settings->setServerDifficulty(2);
    createWindow();
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"ivan"_s);
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://127.0.0.1:%1"_s.arg(closedPort));
    clickStartStop();
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"refused"_s, Qt::CaseInsensitive), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(text(u"workLabel"_s).startsWith(u"Waiting to retry: "_s), WaitMs);

    child<QAction>(u"localServerAction"_s)->trigger();
    QVERIFY(m_model->isLocalServerRunning());
    QVERIFY(child<QCheckBox>(u"localServerCheck"_s)->isChecked());
    QVERIFY(m_window->isMining());
    QCOMPARE(m_model->snapshot().serverUrl, m_model->localServerUrl());
    QTRY_VERIFY_WITH_TIMEOUT(number(u"coinsLabel"_s) >= 1, WaitMs);
    clickStartStop();
    QVERIFY(!m_window->isMining());

    // The remote URL typed before is what the settings keep.
    m_window->saveSettings();
    QCOMPARE(m_settings->serverUrl(), u"http://127.0.0.1:%1"_s.arg(closedPort));
    QVERIFY(m_settings->serverEnabled());
}

void TestMainWindow::shortcutStartsAndStops()
{
    createWindow();
    enableLocalServer(3);
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"dave"_s);
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_F5);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->isMining(), WaitMs);
    QTest::keyClick(m_window.get(), Qt::Key_Return, Qt::ControlModifier);
    QVERIFY(!m_window->isMining());   // at once
}

void TestMainWindow::htmlMessageShowsLiterally()
{
    const QByteArray html = "<b>Forged</b> by <i>you</i> <script>alert(1)</script> &amp;";
    FakeHttpServer server([&](const QByteArray &method, const QByteArray &path) {
        if (method == "GET" && path == "/last_block")
            return httpAnswer(200, "application/json", GenesisAnswer);
        if (method == "POST" && path == "/mine")
            return httpAnswer(200, "application/json", R"({"message": ")" + html + R"("})");
        return httpAnswer(404, "text/html", "<h1>Not found</h1>");
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));

    createWindow();
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"erin"_s);
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://127.0.0.1:%1"_s.arg(server.serverPort()));
    clickStartStop();
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(QString::fromUtf8(html)), WaitMs);
    clickStartStop();
    QVERIFY(!m_window->isMining());
    // The message is no "New Block Forged": counted as rejected, no coins.
    QTRY_VERIFY_WITH_TIMEOUT(number(u"rejectedCount"_s) >= 1, WaitMs);
    QVERIFY(logText().contains(QString::fromUtf8(html) + u" (rejected; retrying in "_s));
    QCOMPARE(text(u"coinsLabel"_s), u"0"_s);
}

void TestMainWindow::garbageServerLeavesWindowUsable()
{
    static const char Garbage[] = "\x00\xff garbage <html><body>nonsense</body></html>\r\n\r\n";
    FakeHttpServer server([](const QByteArray &, const QByteArray &) {
        return QByteArray(Garbage, sizeof(Garbage) - 1);
    });
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    FakeHttpServer htmlServer([](const QByteArray &, const QByteArray &) {
        return httpAnswer(500, "text/html", "<html><h1>Internal Server Error</h1></html>");
    });
    QVERIFY(htmlServer.listen(QHostAddress::LocalHost, 0));

    createWindow();
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"frank"_s);
    const std::pair<FakeHttpServer *, QString> peers[] = {
        {&server, u"GET /last_block: "_s},
        {&htmlServer, u"GET /last_block: HTTP 500: <html><h1>Internal Server Error</h1>"_s}};
    for (const auto &[peer, expected] : peers) {
        child<QLineEdit>(u"nodeUrlEdit"_s)->setText(
            u"http://127.0.0.1:%1"_s.arg(peer->serverPort()));
        clickStartStop();
        QVERIFY(m_window->isMining());
        QTRY_VERIFY_WITH_TIMEOUT(peer->requests >= 1, WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(logText().contains(expected), WaitMs);
        QVERIFY(m_window->isMining());   // it keeps retrying until stopped
        clickStartStop();
        QVERIFY(!m_window->isMining());
        QVERIFY(child<QLineEdit>(u"nodeUrlEdit"_s)->isEnabled());
        QVERIFY(child<QPushButton>(u"startStopButton"_s)->isEnabled());
    }

    // A server that is down.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 closedPort = closed.serverPort();
    closed.close();
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://127.0.0.1:%1"_s.arg(closedPort));
    clickStartStop();
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"refused"_s, Qt::CaseInsensitive), WaitMs);
    clickStartStop();
    QVERIFY(!m_window->isMining());
    QCOMPARE(text(u"coinsLabel"_s), u"0"_s);
}

void TestMainWindow::badInputIsExplained()
{
    createWindow();
    // No id.
    child<QLineEdit>(u"minerIdEdit"_s)->clear();
    clickStartStop();
    QVERIFY(!m_window->isMining());
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"No miner id"_s), WaitMs);
    QCOMPARE(QApplication::focusWidget(), child<QWidget>(u"minerIdEdit"_s));

    // A URL that is not http.
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"grace"_s);
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"ftp://example.com"_s);
    clickStartStop();
    QVERIFY(!m_window->isMining());
    QTRY_VERIFY_WITH_TIMEOUT(
        logText().contains(u"Node URL: 'ftp://example.com' is not an http:// or https:// URL"_s),
        WaitMs);

    // An id file that cannot be written.
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://127.0.0.1:1"_s);
    child<QLineEdit>(u"idFileEdit"_s)->setText(m_dir->filePath(u"no/such/dir/id.txt"_s));
    clickStartStop();
    QVERIFY(!m_window->isMining());
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"Cannot save the miner id"_s), WaitMs);

    // A local server whose database cannot be created.
    QFile blocker(m_dir->filePath(u"file"_s));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    m_settings->setServerDatabasePath(m_dir->filePath(u"file/chain.db"_s));
    QVERIFY(!m_window->setLocalServerEnabled(true));
    QVERIFY(!m_model->isLocalServerRunning());
    QVERIFY(!child<QCheckBox>(u"localServerCheck"_s)->isChecked());
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"Cannot start the local chain server"_s), WaitMs);
}

void TestMainWindow::refreshShowsTheSnapshot()
{
    createWindow();
    MiningSnapshot s;
    s.state = MiningSnapshot::State::Searching;
    s.problem = u"Connection refused"_s;
    s.serverUnreachable = true;
    s.serverUrl = QUrl(u"http://node.example:5000"_s);
    s.coins = 12345;
    s.accepted = 3;
    s.stale = 1;
    s.rejected = 2;
    s.hashRate = 1.5e8;
    s.hashRate10s = 1.25e8;
    s.blockIndex = 7;
    s.difficulty = 6;
    s.searchMs = 83'000;
    s.lastBlock = Chain::genesis(1732435200.5);
    m_window->refresh(s);
    QCOMPARE(text(u"coinsLabel"_s), QLocale().toString(12345));
    QCOMPARE(text(u"acceptedCount"_s), u"3"_s);
    QCOMPARE(text(u"staleCount"_s), u"1"_s);
    QCOMPARE(text(u"rejectedCount"_s), u"2"_s);
    QCOMPARE(text(u"hashRateLabel"_s), u"150.00 MH/s"_s);
    QCOMPARE(text(u"hashRateAveragesLabel"_s), u"10 s: 125.00 MH/s, 60 s: n/a, 15 min: n/a"_s);
    QCOMPARE(text(u"elapsedLabel"_s), u"01:23"_s);
    QCOMPARE(text(u"workLabel"_s),
             u"Block 7 at difficulty 6: searching (server unreachable: retrying)"_s);
    QCOMPARE(text(u"minerStatusLabel"_s), u"Mining block 7 on http://node.example:5000: "
                                           "searching (server unreachable: retrying)"_s);
    QCOMPARE(text(u"lastBlockIndex"_s), u"1"_s);
    QCOMPARE(text(u"lastBlockHash"_s), QString::fromLatin1(s.lastBlock->hash()));
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Stop Mining"_s);
    QVERIFY(!child<QLineEdit>(u"nodeUrlEdit"_s)->isEnabled());
    QCOMPARE(m_window->windowTitle(), u"blockforge \u2014 mining, 12345 coins"_s);

    s.state = MiningSnapshot::State::Stopping;
    m_window->refresh(s);
    QCOMPARE(child<QPushButton>(u"startStopButton"_s)->text(), u"Start Mining"_s);
    QCOMPARE(text(u"workLabel"_s), u"Stopping: waiting for the answer to the proof just sent."_s);
    QVERIFY(child<QLineEdit>(u"nodeUrlEdit"_s)->isEnabled());
    QCOMPARE(m_window->windowTitle(), u"blockforge"_s);
}

void TestMainWindow::failedPollShowsSearchingAndTheClockRuns()
{
    // A server that knows a block no one finds here, then goes away.
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    const quint16 port = server.serverPort();
    const QByteArray unfindable = QByteArray(GenesisAnswer).replace("\"difficulty\": 1",
                                                                    "\"difficulty\": 30");
    server.close();
    FakeHttpServer node([&](const QByteArray &, const QByteArray &path) {
        return path == "/last_block" ? httpAnswer(200, "application/json", unfindable)
                                     : httpAnswer(404, "text/html", "no");
    });
    QVERIFY(node.listen(QHostAddress::LocalHost, port));
    createWindow();
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"olga"_s);
    child<QLineEdit>(u"nodeUrlEdit"_s)->setText(u"http://127.0.0.1:%1"_s.arg(port));
    clickStartStop();
    QTRY_COMPARE_WITH_TIMEOUT(text(u"workLabel"_s), u"Block 2 at difficulty 30: searching"_s,
                              WaitMs);

    node.close();
    QTRY_COMPARE_WITH_TIMEOUT(
        text(u"workLabel"_s),
        u"Block 2 at difficulty 30: searching (server unreachable: retrying)"_s, WaitMs);
    QVERIFY(text(u"minerStatusLabel"_s).endsWith(u"searching (server unreachable: retrying)"_s));
    QTRY_VERIFY_WITH_TIMEOUT(logText().contains(u"still searching, asking again in"_s), WaitMs);
    // The clock of the search runs on.
    const QString shown = text(u"elapsedLabel"_s);
    QTRY_VERIFY_WITH_TIMEOUT(text(u"elapsedLabel"_s) != shown, WaitMs);
    QVERIFY(text(u"workLabel"_s).endsWith(u"searching (server unreachable: retrying)"_s));
    QVERIFY(m_window->isMining());
    clickStartStop();
}

void TestMainWindow::guiLatencyWhileAllCoresMine_data()
{
    QTest::addColumn<int>("difficulty");
    QTest::addColumn<double>("medianBoundMs");
    QTest::addColumn<double>("p90BoundMs");
    QTest::addColumn<int>("tab");
    // 12: never found here, the search runs throughout. 4: blocks forged many times
    // a second by the embedded server on the GUI thread (each one committed to disk).
    QTest::newRow("searching") << 12 << 0.1 << 1.0 << 0;
    QTest::newRow("forging") << 4 << 0.2 << 2.0 << 0;
    // The same with the chart and found-blocks table (1), or the chain explorer (2), shown.
    QTest::newRow("forging, Statistics tab") << 4 << 0.2 << 2.0 << 1;
    QTest::newRow("forging, Chain tab") << 4 << 0.2 << 2.0 << 2;
}

void TestMainWindow::guiLatencyWhileAllCoresMine()
{
    QFETCH(int, difficulty);
    QFETCH(double, medianBoundMs);
    QFETCH(double, p90BoundMs);
    QFETCH(int, tab);
    constexpr double TimerMedianBoundMs = 5.0;
    m_settings->setThreads(QThread::idealThreadCount());
    createWindow();
    enableLocalServer(difficulty);
    child<QLineEdit>(u"minerIdEdit"_s)->setText(u"heidi"_s);
    clickStartStop();
    QTRY_VERIFY_WITH_TIMEOUT(text(u"hashRateLabel"_s) != u"0 H/s"_s, WaitMs);
    if (difficulty < 6)
        QTRY_VERIFY_WITH_TIMEOUT(number(u"acceptedCount"_s) >= 1, WaitMs);
    const qint64 acceptedBefore = number(u"acceptedCount"_s);
    child<QTabWidget>(u"mainTabs"_s)->setCurrentIndex(tab);
    QTest::qWait(1500);   // the chart has points, the explorer its first pages

    // Every 20 ms a timer posts an event to the GUI thread and measures how long it
    // waits in the queue; the timer's own lateness is measured too.
    constexpr int Samples = 100;
    constexpr int IntervalMs = 20;
    std::vector<double> queueMs;
    std::vector<double> timerLateMs;
    QElapsedTimer clock;
    clock.start();
    qint64 expectedNs = 0;
    QObject context;   // destroyed first: drops a probe still queued at the end
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(IntervalMs);
    connect(&probe, &QTimer::timeout, &context, [&] {
        const qint64 firedNs = clock.nsecsElapsed();
        if (expectedNs > 0)
            timerLateMs.push_back(std::max<qint64>(0, firedNs - expectedNs) / 1e6);
        expectedNs = firedNs + IntervalMs * 1000000LL;
        QMetaObject::invokeMethod(&context, [&, firedNs] {
            queueMs.push_back((clock.nsecsElapsed() - firedNs) / 1e6);
        }, Qt::QueuedConnection);
    });
    probe.start();
    QTRY_VERIFY_WITH_TIMEOUT(queueMs.size() >= Samples, WaitMs);
    probe.stop();
    QVERIFY(m_window->isMining());

    QTest::qWait(2 * MiningModel::UpdateIntervalMs);
    const qint64 blocks = number(u"acceptedCount"_s) - acceptedBefore;
    struct Figures
    {
        double median = 0;
        double p90 = 0;
        double max = 0;
    };
    auto report = [&](const char *what, std::vector<double> values) {
        std::sort(values.begin(), values.end());
        const Figures figures {values[values.size() / 2], values[values.size() * 9 / 10],
                               values.back()};
        qInfo("GUI %s, %d threads mining at difficulty %d (%lld blocks accepted meanwhile): "
              "median %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms (%zu samples)",
              what, QThread::idealThreadCount(), difficulty, blocks, figures.median, figures.p90,
              values[values.size() * 99 / 100], figures.max, values.size());
        return figures;
    };
    const Figures queue = report("event queue delay", queueMs);
    const Figures timer = report("timer lateness", timerLateMs);
    // The README's figures, with a margin: a loaded machine's worst moments vary, so the
    // median and the 90th percentile are asserted, the worst case is printed.
    QVERIFY2(queue.median < medianBoundMs, "events wait longer than the README says");
    QVERIFY2(queue.p90 < p90BoundMs, "events wait longer than the README says");
    QVERIFY2(timer.median < TimerMedianBoundMs, "timers fire later than the README says");

    clickStartStop();
    QVERIFY(!m_window->isMining());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
