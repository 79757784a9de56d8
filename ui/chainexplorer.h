#pragma once

#include <QWidget>

// The "Chain" tab: the node's chain, a page at a time, and one block in detail.
class ChainExplorer final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChainExplorer)

public:
    explicit ChainExplorer(QWidget *parent = nullptr);
    ~ChainExplorer() override;
};
