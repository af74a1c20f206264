"""The yardstick: a bare Flask "hello" route, served the same way as the app (bench/pages.py)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
