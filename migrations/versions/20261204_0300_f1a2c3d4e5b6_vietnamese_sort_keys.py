"""Vietnamese sort keys: people, units and teams get an ICU collation key, and lists order by it.

``sort_key`` (bytes, compared byte-wise by SQLite and PostgreSQL alike) is ICU's Vietnamese key:
people by given name then the rest, units by official code else by name, teams by name, numbers in
numeric order (``lms.core.collation``). Existing rows are back-filled here, in batches, with the same
functions the application uses; then the columns become NOT NULL and indexed. In place on both
databases: no batch table copy on SQLite (which fails on a database with rows, foreign keys being on).

Revision ID: f1a2c3d4e5b6
Revises: e7b2c4d91f03
Create Date: 2026-12-04 03:00:00

"""
from alembic import op
import sqlalchemy as sa

from lms.core.collation import person_sort_key, team_sort_key, unit_sort_key


# revision identifiers, used by Alembic.
revision = 'f1a2c3d4e5b6'
down_revision = 'e7b2c4d91f03'
branch_labels = None
depends_on = None

BATCH = 5000

#: table → (the columns the key is computed from, the function)
KEYS = {
    'person': (('full_name',), person_sort_key),
    'unit': (('kind', 'code', 'name'), unit_sort_key),
    'team': (('name',), team_sort_key),
}


def _backfill(name, columns, key):
    conn = op.get_bind()
    table = sa.table(name, sa.column('id', sa.Integer), sa.column('sort_key', sa.LargeBinary), *(sa.column(c, sa.String) for c in columns))
    read = sa.select(table.c.id, *(table.c[c] for c in columns)).order_by(table.c.id).limit(BATCH)
    write = sa.update(table).where(table.c.id == sa.bindparam('row_id')).values(sort_key=sa.bindparam('key', type_=sa.LargeBinary))
    last = None
    while True:
        rows = conn.execute(read if last is None else read.where(table.c.id > last)).all()
        if not rows:
            break
        conn.execute(write, [{'row_id': row[0], 'key': key(*row[1:])} for row in rows])
        last = rows[-1][0]


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # No batch table copies: on SQLite a copy drops the old table, which the rows of other tables refer to
    # (foreign keys are on). SQLite adds a NOT NULL column in place when it has a default, X'' (empty bytes),
    # which stays (harmless: every write passes a key); PostgreSQL adds it nullable and sets NOT NULL after.
    for name in KEYS:
        if sqlite:
            op.add_column(name, sa.Column('sort_key', sa.LargeBinary(), nullable=False, server_default=sa.text("X''")))
        else:
            op.add_column(name, sa.Column('sort_key', sa.LargeBinary(), nullable=True))
    for name, (columns, key) in KEYS.items():
        _backfill(name, columns, key)
    for name in KEYS:
        if not sqlite:
            op.alter_column(name, 'sort_key', existing_type=sa.LargeBinary(), nullable=False)
        op.create_index(f'ix_{name}_sort_key', name, ['sort_key'], unique=False)


def downgrade():
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), no table copy, as in upgrade()
    for name in reversed(list(KEYS)):
        op.drop_index(f'ix_{name}_sort_key', table_name=name)
        op.drop_column(name, 'sort_key')
