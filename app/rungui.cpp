#include <QApplication>

#include "app/options.h"
#include "app/run.h"
#include "ui/mainwindow.h"

int runGui(QApplication &app, const Options &)
{
    MainWindow window;
    window.show();
    return app.exec();
}
