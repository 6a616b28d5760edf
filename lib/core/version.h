/* version: the one version string of setpost. */
#ifndef SETPOST_VERSION_H
#define SETPOST_VERSION_H
#define SETPOST_VERSION "0.1.0"
#endif
