"""The product's surface below the dashboard: the command line (cli) and who may see what (access).

May use: every other package.
"""
