"""ids never reused on SQLite: AUTOINCREMENT on predictions_feedback and training_photos

An erased row's id must stay erased: a card or a page still showing it would otherwise act on
the next photo's row. SQLite gives AUTOINCREMENT only to a table created with it, so both
tables are re-created (batch mode), their rows copied with their ids; env.py turns foreign keys
off meanwhile, so dropping the old predictions_feedback cascades nowhere. PostgreSQL's
sequences never give an id twice: nothing to do there.

Revision ID: 6e3b9d2f1c84
Revises: 3f9a6c1e2d47
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '6e3b9d2f1c84'
down_revision = '3f9a6c1e2d47'
branch_labels = None
depends_on = None

TABLES = ('predictions_feedback', 'training_photos')


def recreate(autoincrement):
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
        ):
            pass


def upgrade():
    recreate(True)


def downgrade():
    recreate(False)
