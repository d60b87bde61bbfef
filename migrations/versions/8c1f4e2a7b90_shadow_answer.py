"""the challenger's answer beside the champion's (shadow traffic)

Revision ID: 8c1f4e2a7b90
Revises: 5b7e2c1d9a30
Create Date: 2026-12-01 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c1f4e2a7b90'
down_revision = '5b7e2c1d9a30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shadow_model_version', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('shadow_result', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('shadow_proba_dog', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('shadow_time_ms', sa.Double(), nullable=True))
        batch_op.create_check_constraint(
            'ck_shadow_result', "shadow_result IS NULL OR shadow_result IN ('cat', 'dog')"
        )


def downgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.drop_constraint('ck_shadow_result', type_='check')
        batch_op.drop_column('shadow_time_ms')
        batch_op.drop_column('shadow_proba_dog')
        batch_op.drop_column('shadow_result')
        batch_op.drop_column('shadow_model_version')
