"""The api of the notes example: counts visits in Postgres.

DATABASE_URL is what Hydron wires to the managed Postgres container (user, password
and database generated into a Secret). POST /visits stores a row and reads the count
back; /health answers only when the database does.
"""

import os

import psycopg
from flask import Flask, jsonify

app = Flask(__name__)
DATABASE_URL = os.environ["DATABASE_URL"]


def connect():
    return psycopg.connect(DATABASE_URL, connect_timeout=5)


@app.get("/health")
def health():
    with connect() as conn:
        conn.execute("SELECT 1")
    return jsonify(status="ok")


@app.post("/visits")
def visit():
    with connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS visits (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())")
        (number,) = conn.execute("INSERT INTO visits DEFAULT VALUES RETURNING id").fetchone()
        (stored, database) = conn.execute("SELECT count(*), current_database() FROM visits").fetchone()
    return jsonify(visit=number, stored=stored, database=database)
