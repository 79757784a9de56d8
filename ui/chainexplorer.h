#pragma once

#include <QUrl>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class ChainPageModel;
class LastBlockView;

// The "Chain" tab: a node's chain, newest block first, read a page at a time as the
// table scrolls (ChainPageModel), and the selected block in detail with its
// transactions. It follows the node the miner uses until the user picks another, and
// follows new blocks while it is shown.
class ChainExplorer final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainExplorer)

public:
    explicit ChainExplorer(QWidget *parent = nullptr);
    ~ChainExplorer() override;

    // The miner's node: shown unless the user chose another one here.
    void followNode(const QUrl &node);
    // Shows the chain of the node typed in the field; false (and says why) for a bad URL.
    bool showNode(const QString &url);
    ChainPageModel *model() const { return m_model; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void showStatus();
    void showSelected();

    ChainPageModel *m_model = nullptr;    // children of this
    QLineEdit *m_nodeEdit = nullptr;
    QPushButton *m_showButton = nullptr;
    QPushButton *m_newestButton = nullptr;
    QLabel *m_status = nullptr;
    QTableView *m_table = nullptr;
    LastBlockView *m_detail = nullptr;
    bool m_userChoseNode = false;
    qint64 m_selectedIndex = 0;           // the block shown in detail
    bool m_followNewest = false;          // it is the newest: the next newest replaces it
};
