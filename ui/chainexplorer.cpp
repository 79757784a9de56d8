#include "ui/chainexplorer.h"

#include <QVBoxLayout>

using namespace Qt::StringLiterals;

ChainExplorer::ChainExplorer(QWidget *parent)
    : QWidget{parent}
{
    setObjectName(u"chainExplorer"_s);
    auto *layout = new QVBoxLayout(this);
    layout->addStretch();
}

ChainExplorer::~ChainExplorer() = default;
