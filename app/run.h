#pragma once

class QApplication;
class QCoreApplication;
struct Options;

// One entry point per mode; each builds its objects and returns the exit code.
int runGui(QApplication &app, const Options &options);
int runServer(QCoreApplication &app, const Options &options);
int runMiner(QCoreApplication &app, const Options &options);
int runEngines(QCoreApplication &app, const Options &options);   // --engines
