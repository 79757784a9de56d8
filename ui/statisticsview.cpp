#include "ui/statisticsview.h"

#include <QVBoxLayout>

#include "core/miningsnapshot.h"

using namespace Qt::StringLiterals;

StatisticsView::StatisticsView(QWidget *parent)
    : QWidget{parent}
{
    setObjectName(u"statisticsView"_s);
    auto *layout = new QVBoxLayout(this);
    layout->addStretch();
}

StatisticsView::~StatisticsView() = default;

void StatisticsView::refresh(const MiningSnapshot &snapshot)
{
    Q_UNUSED(snapshot);
}
