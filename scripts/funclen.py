#!/usr/bin/env python3
"""Function lengths of setpost's C code: a function is a body from a '{' alone at the start of a
line to the next '}' alone at the start of a line (the project's style); its length is the lines
from its name's line to that '}', both counted. Prints count, median, mean and the longest.
    scripts/funclen.py [DIR...]   (default: lib server workers cli)"""
import os
import statistics
import sys


def lengths(path):
    lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
    for i, line in enumerate(lines):
        if line != '{':
            continue
        start = i - 1                       # the name's line, above any wrapped parameters
        while start > 0 and lines[start].startswith((' ', '\t')):
            start -= 1
        end = i + 1
        while end < len(lines) and lines[end] != '}':
            end += 1
        if end < len(lines) and '(' in ''.join(lines[start:i]):
            yield end - start + 1, '%s:%d' % (path, start + 1)


def main():
    dirs = sys.argv[1:] or ['lib', 'server', 'workers', 'cli']
    found = []
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith('.c'):
                    found += lengths(os.path.join(root, f))
    n = [x for x, _ in found]
    print('functions %d, median %g lines, mean %.1f' % (len(n), statistics.median(n),
                                                       statistics.mean(n)))
    for x, where in sorted(found, reverse=True)[:5]:
        print('  %d %s' % (x, where))


main()
