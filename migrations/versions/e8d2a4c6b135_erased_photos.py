"""erased_photos: the sha256 of kept photos whose prediction was erased

Registered models trained on an erased photo are found and marked from these hashes
(catsdogs/registry/lineage.py); the photo itself is gone with its row.

Revision ID: e8d2a4c6b135
Revises: c2b8f4a61e53
Create Date: 2026-12-07 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8d2a4c6b135'
down_revision = 'c2b8f4a61e53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'erased_photos',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('sha256'),
    )


def downgrade():
    op.drop_table('erased_photos')
