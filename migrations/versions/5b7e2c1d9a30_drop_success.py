"""drop the success column: every stored prediction succeeded

Revision ID: 5b7e2c1d9a30
Revises: d40f89a42a26
Create Date: 2026-11-30 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c1d9a30'
down_revision = 'd40f89a42a26'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.drop_column('success')


def downgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('success', sa.Boolean(), nullable=False, server_default=sa.true())
        )
