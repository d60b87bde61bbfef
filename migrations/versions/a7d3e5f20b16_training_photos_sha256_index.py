"""an index on training_photos.sha256

Every photo offered for training is looked up by its sha256 before it is kept (no second copy):
without an index that lookup reads the whole table, photos included, once per upload.

Revision ID: a7d3e5f20b16
Revises: 6e3b9d2f1c84
Create Date: 2026-12-07 10:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7d3e5f20b16'
down_revision = '6e3b9d2f1c84'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_training_photos_sha256', 'training_photos', ['sha256'])


def downgrade():
    op.drop_index('ix_training_photos_sha256', table_name='training_photos')
