"""not a cat or a dog: the detector's answer on each prediction, and a reviewer's "neither"

predictions_feedback.neither is the model's answer that the photo shows neither class, and
neither_score the score it came from (NULL for a model without the detector). A kept photo's
label may be "neither": the reviewer saw no cat and no dog.

Revision ID: c2b8f4a61e53
Revises: a7d3e5f20b16
Create Date: 2026-12-07 10:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c2b8f4a61e53'
down_revision = 'a7d3e5f20b16'
branch_labels = None
depends_on = None

# SQLite re-creates a table to change it: with AUTOINCREMENT still, or erased ids come back.
NEVER_REUSED = {'sqlite_autoincrement': True}
LABELS = "label IS NULL OR label IN ('cat', 'dog'{})"


def upgrade():
    with op.batch_alter_table('predictions_feedback', table_kwargs=NEVER_REUSED) as batch:
        batch.add_column(
            sa.Column('neither', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column('neither_score', sa.Double(), nullable=True))
    with op.batch_alter_table('training_photos', table_kwargs=NEVER_REUSED) as batch:
        batch.drop_constraint('ck_photo_label', type_='check')
        batch.alter_column('label', type_=sa.String(7), existing_type=sa.String(3))
        batch.create_check_constraint('ck_photo_label', LABELS.format(", 'neither'"))


def downgrade():
    op.execute("DELETE FROM training_photos WHERE label = 'neither'")
    with op.batch_alter_table('training_photos', table_kwargs=NEVER_REUSED) as batch:
        batch.drop_constraint('ck_photo_label', type_='check')
        batch.alter_column('label', type_=sa.String(3), existing_type=sa.String(7))
        batch.create_check_constraint('ck_photo_label', LABELS.format(''))
    with op.batch_alter_table('predictions_feedback', table_kwargs=NEVER_REUSED) as batch:
        batch.drop_column('neither_score')
        batch.drop_column('neither')
