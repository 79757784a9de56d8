#include "ui/chainexplorer.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "core/chainpagemodel.h"
#include "core/printable.h"
#include "core/validate.h"
#include "ui/lastblockview.h"

using namespace Qt::StringLiterals;

ChainExplorer::ChainExplorer(QWidget *parent)
    : QWidget{parent}
    , m_model{new ChainPageModel(this)}
{
    setObjectName(u"chainExplorer"_s);

    m_nodeEdit = new QLineEdit(this);
    m_nodeEdit->setObjectName(u"chainNodeEdit"_s);
    m_nodeEdit->setPlaceholderText(u"the miner's node"_s);
    m_nodeEdit->setClearButtonEnabled(true);
    m_nodeEdit->setToolTip(u"The chain server whose chain is shown; empty: the miner's node"_s);
    m_nodeEdit->setAccessibleName(u"Node whose chain is shown"_s);
    m_showButton = new QPushButton(u"Sho&w"_s, this);
    m_showButton->setObjectName(u"chainShowButton"_s);
    m_showButton->setToolTip(u"Show the chain of the node typed on the left"_s);
    m_newestButton = new QPushButton(u"&Newest"_s, this);
    m_newestButton->setObjectName(u"chainNewestButton"_s);
    m_newestButton->setToolTip(u"Scroll to the newest block"_s);
    connect(m_showButton, &QPushButton::clicked, this, [this] { showNode(m_nodeEdit->text()); });
    connect(m_nodeEdit, &QLineEdit::returnPressed, this, [this] { showNode(m_nodeEdit->text()); });
    connect(m_newestButton, &QPushButton::clicked, this, [this] {
        if (m_model->rowCount() > 0)
            m_table->selectRow(0);
        m_table->scrollToTop();
    });
    auto *nodeLabel = new QLabel(u"N&ode:"_s, this);
    nodeLabel->setBuddy(m_nodeEdit);

    m_status = new QLabel(this);
    m_status->setObjectName(u"chainStatusLabel"_s);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setAccessibleName(u"Chain state"_s);

    m_table = new QTableView(this);
    m_table->setObjectName(u"chainTable"_s);
    m_table->setAccessibleName(u"Blocks of the chain, newest first"_s);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    // Uniform rows: a 100,000-row table is laid out without asking for each row.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    const QFontMetrics metrics = m_table->fontMetrics();
    const int pad = 3 * metrics.averageCharWidth();
    auto width = [&](int column, const QString &sample) {
        m_table->setColumnWidth(column, metrics.horizontalAdvance(sample) + pad);
    };
    width(ChainPageModel::IndexColumn, u"000000000000"_s);
    width(ChainPageModel::TimeColumn, u"0000-00-00 00:00:00"_s);
    width(ChainPageModel::TransactionsColumn, u"Txs"_s);
    width(ChainPageModel::MinerColumn, u"someone's id"_s);
    width(ChainPageModel::ProofColumn, u"0000000000000000000"_s);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                m_selectedIndex = current.isValid()
                    ? current.data(ChainPageModel::BlockIndexRole).toLongLong()
                    : 0;
                showSelected();
            });

    auto *detailGroup = new QGroupBox(u"Block"_s, this);
    detailGroup->setObjectName(u"chainBlockGroup"_s);
    m_detail = new LastBlockView(detailGroup);
    m_detail->setObjectName(u"chainBlockView"_s);
    // Its fields keep names of their own: the Mining tab has a LastBlockView too.
    for (QWidget *field : m_detail->findChildren<QWidget *>()) {
        if (field->objectName().startsWith(u"lastBlock"_s))
            field->setObjectName(field->objectName().replace(u"lastBlock"_s, u"chainBlock"_s));
    }
    // In a scroll area: a 64-digit hash or many transactions never widen the window.
    auto *detailScroll = new QScrollArea(detailGroup);
    detailScroll->setObjectName(u"chainBlockScroll"_s);
    detailScroll->setWidget(m_detail);
    detailScroll->setWidgetResizable(true);
    detailScroll->setFrameShape(QFrame::NoFrame);
    auto *detailLayout = new QVBoxLayout(detailGroup);
    detailLayout->addWidget(detailScroll);

    // The table above, the block below: both get the window's whole width.
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(u"chainSplitter"_s);
    splitter->addWidget(m_table);
    splitter->addWidget(detailGroup);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    auto *top = new QHBoxLayout;
    top->addWidget(nodeLabel);
    top->addWidget(m_nodeEdit, 1);
    top->addWidget(m_showButton);
    top->addWidget(m_newestButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_model, &ChainPageModel::statusChanged, this, &ChainExplorer::showStatus);
    connect(m_model, &ChainPageModel::blocksArrived, this,
            [this](qint64 first, qint64 last) {
                if (m_selectedIndex >= first && m_selectedIndex <= last)
                    showSelected();
            });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_selectedIndex = 0;
        if (m_model->rowCount() > 0)
            m_table->setCurrentIndex(m_model->index(0, ChainPageModel::IndexColumn));
    });
    // The newest block is shown in detail at first, and stays shown as new blocks
    // come while it is the one selected; another selected block stays selected.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        m_followNewest = !m_table->currentIndex().isValid()
            || m_selectedIndex == m_model->length();
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_followNewest && m_model->rowCount() > 0)
            m_table->setCurrentIndex(m_model->index(0, ChainPageModel::IndexColumn));
    });
    showStatus();
}

ChainExplorer::~ChainExplorer() = default;

void ChainExplorer::followNode(const QUrl &node)
{
    if (m_userChoseNode || !node.isValid() || node == m_model->node())
        return;
    m_model->setNode(node);
}

bool ChainExplorer::showNode(const QString &url)
{
    if (url.trimmed().isEmpty()) {
        m_userChoseNode = false;   // back to the miner's node, at its next change
        showStatus();
        return true;
    }
    const Result<QUrl> node = Validate::nodeUrl(url);
    if (!node) {
        m_status->setText(u"Node URL: %1"_s.arg(node.errorMessage()));
        return false;
    }
    m_userChoseNode = true;
    m_model->setNode(*node);
    return true;
}

void ChainExplorer::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_model->setFollowing(true);   // new blocks appear while the tab is shown
}

void ChainExplorer::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_model->setFollowing(false);
}

void ChainExplorer::showStatus()
{
    if (!m_model->node().isValid()) {
        m_status->setText(u"Start mining, or type a node's URL above, to see its chain."_s);
        return;
    }
    QString text = u"%1: %2 blocks"_s.arg(m_model->node().toString(),
                                         QLocale().toString(m_model->length()));
    if (m_model->length() > 0)
        text += m_model->isPaged() ? u", read a page at a time"_s
                                   : u" (a classic server: the whole chain at once)"_s;
    if (!m_model->problem().isEmpty())
        text += u". Cannot read it now: %1"_s.arg(Printable::escaped(m_model->problem()));
    m_status->setText(text);
}

void ChainExplorer::showSelected()
{
    if (m_selectedIndex < 1 || m_selectedIndex > m_model->length())
        return;
    if (const std::optional<Block> block = m_model->blockAt(m_model->rowOf(m_selectedIndex)))
        m_detail->setBlock(*block);
}
