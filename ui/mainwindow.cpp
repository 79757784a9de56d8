#include "ui/mainwindow.h"

#include <QLabel>

using namespace Qt::StringLiterals;

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(u"blockforge"_s);
    setCentralWidget(new QLabel(u"The miner window is not built yet."_s, this));
}

MainWindow::~MainWindow() = default;
