#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSet>
#include <QKeySequence>
#include <QTableView>
#include <QTest>

#include "../core/forgedchain.h"
#include "core/chainpagemodel.h"
#include "ui/chainexplorer.h"
#include "tests/verifyresult.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int WaitMs = 30000;
constexpr int Blocks = 2500;
}

// The Chain tab against a real ChainServer with thousands of blocks.
class TestChainExplorer final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void browsesPagesAndShowsABlock();
    void followsTheMinersNodeUntilOneIsChosen();

private:
    template<typename T>
    T *child(QWidget *parent, const QString &name)
    {
        T *widget = parent->findChild<T *>(name);
        if (!widget)
            qWarning("No %s named %s", T::staticMetaObject.className(), qPrintable(name));
        return widget;
    }

    ForgedChain m_node;
};

void TestChainExplorer::initTestCase()
{
    VERIFY_RESULT(m_node.start());
    for (int i = 0; i < Blocks; ++i) {
        if (i == 100)
            QVERIFY(m_node.addTransaction(
                R"({"sender": "bob", "recipient": "carol \u202e evil", "amount": 7})"));
        QVERIFY(m_node.forge(u"miner%1"_s.arg(i % 5)));
    }
}

void TestChainExplorer::browsesPagesAndShowsABlock()
{
    ChainExplorer explorer;
    explorer.resize(1000, 600);
    explorer.show();
    QVERIFY(QTest::qWaitForWindowExposed(&explorer));
    // The tab fits a window of 800x600 (less menu, tab and status bars).
    const QSize minimum = explorer.minimumSizeHint();
    QVERIFY2(minimum.width() <= 780 && minimum.height() <= 480,
             qPrintable(u"%1x%2"_s.arg(minimum.width()).arg(minimum.height())));
    QVERIFY(child<QLabel>(&explorer, u"chainStatusLabel"_s)->text().startsWith(u"Start mining"_s));
    // Each mnemonic of the tab once (Alt+O, Alt+W, Alt+N).
    QStringList keys;
    for (QLabel *label : explorer.findChildren<QLabel *>()) {
        if (label->buddy())
            keys << QKeySequence::mnemonic(label->text()).toString();
    }
    for (QPushButton *button : explorer.findChildren<QPushButton *>())
        keys << QKeySequence::mnemonic(button->text()).toString();
    keys.removeAll(QString());
    QCOMPARE(keys.size(), 3);
    QCOMPARE(QSet<QString>(keys.begin(), keys.end()).size(), keys.size());
    explorer.followNode(m_node.url());
    auto *table = child<QTableView>(&explorer, u"chainTable"_s);
    ChainPageModel *model = explorer.model();
    QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), Blocks + 1, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(&explorer, u"chainStatusLabel"_s)->text().contains(
                                 u"blocks, read a page at a time"_s), WaitMs);
    // The newest block is shown in detail; the visible rows' page comes in, nothing else.
    QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>(&explorer, u"chainBlockIndex"_s)->text(),
                              QString::number(Blocks + 1), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, ChainPageModel::MinerColumn).data().toString(),
                              u"miner4"_s, WaitMs);
    QVERIFY(model->cachedBlocks() <= 3 * ChainPageModel::PageSize);

    // Scroll to the old blocks: their page is read, and a click shows block 102 in detail
    // with its transactions (the id's bidi control shown escaped, not obeyed).
    const int row = model->rowOf(102);
    table->scrollTo(model->index(row, 0), QAbstractItemView::PositionAtCenter);
    QTRY_VERIFY_WITH_TIMEOUT(model->blockAt(row).has_value(), WaitMs);
    const QRect cell = table->visualRect(model->index(row, ChainPageModel::ProofColumn));
    QVERIFY(cell.isValid());
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
    QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>(&explorer, u"chainBlockIndex"_s)->text(), u"102"_s,
                              WaitMs);
    QCOMPARE(child<QLabel>(&explorer, u"chainBlockHash"_s)->text(),
             QString::fromLatin1(m_node.server().chain().blocks()[101].hash()));
    const QString transactions =
        child<QPlainTextEdit>(&explorer, u"chainBlockTransactions"_s)->toPlainText();
    QVERIFY2(transactions.contains(u"miner0 gets 1 (reward)"_s), qPrintable(transactions));
    QVERIFY2(transactions.contains(u"bob \u2192 carol \\u202e evil: 7"_s), qPrintable(transactions));
    QVERIFY(!transactions.contains(QChar(0x202e)));
    QVERIFY(model->cachedBlocks() <= 6 * ChainPageModel::PageSize);

    // New blocks appear at the top while the tab is shown; the selection stays on 102.
    QVERIFY(m_node.forge(u"newcomer"_s));
    QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), Blocks + 2, WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, ChainPageModel::MinerColumn).data().toString(),
                              u"newcomer"_s, WaitMs);
    QCOMPARE(table->currentIndex().data(ChainPageModel::BlockIndexRole).toLongLong(), 102);

    QTest::mouseClick(child<QPushButton>(&explorer, u"chainNewestButton"_s), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>(&explorer, u"chainBlockIndex"_s)->text(),
                              QString::number(Blocks + 2), WaitMs);
    QCOMPARE(table->verticalScrollBar()->value(), 0);
    // The newest selected: the next newest block takes its place in detail.
    QVERIFY(m_node.forge(u"latest"_s));
    QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>(&explorer, u"chainBlockIndex"_s)->text(),
                              QString::number(Blocks + 3), WaitMs);

    // Hidden: it stops asking.
    explorer.hide();
    QVERIFY(!model->isFollowing());
}

void TestChainExplorer::followsTheMinersNodeUntilOneIsChosen()
{
    ForgedChain other;
    VERIFY_RESULT(other.start());
    QVERIFY(other.forge(u"zed"_s, 2));

    ChainExplorer explorer;
    explorer.show();
    QVERIFY(QTest::qWaitForWindowExposed(&explorer));
    explorer.followNode(m_node.url());
    QTRY_VERIFY_WITH_TIMEOUT(explorer.model()->length() > Blocks, WaitMs);

    // A bad URL is explained and changes nothing.
    auto *edit = child<QLineEdit>(&explorer, u"chainNodeEdit"_s);
    edit->setText(u"ftp://nowhere"_s);
    QTest::mouseClick(child<QPushButton>(&explorer, u"chainShowButton"_s), Qt::LeftButton);
    QVERIFY(child<QLabel>(&explorer, u"chainStatusLabel"_s)->text().startsWith(u"Node URL: "_s));
    QCOMPARE(explorer.model()->node(), m_node.url());

    // A node typed by the user wins over the miner's.
    edit->setText(other.url().toString());
    QTest::keyClick(edit, Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(explorer.model()->length(), 3, WaitMs);
    explorer.followNode(m_node.url());
    QCOMPARE(explorer.model()->node(), other.url());
    QTRY_COMPARE_WITH_TIMEOUT(explorer.model()->index(0, ChainPageModel::MinerColumn)
                                  .data().toString(), u"zed"_s, WaitMs);

    // Emptied: back to the miner's node at its next change.
    edit->clear();
    QTest::keyClick(edit, Qt::Key_Return);
    explorer.followNode(m_node.url());
    QCOMPARE(explorer.model()->node(), m_node.url());
}

QTEST_MAIN(TestChainExplorer)
#include "tst_chainexplorer.moc"
