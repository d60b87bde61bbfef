"""predictions_feedback table

Revision ID: d40f89a42a26
Revises: 
Create Date: 2026-11-28 21:51:11.060741

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd40f89a42a26'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('predictions_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('inference_time_ms', sa.Double(), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('prediction_result', sa.String(length=5), nullable=False),
    sa.Column('proba_cat', sa.Double(), nullable=True),
    sa.Column('proba_dog', sa.Double(), nullable=True),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('rgpd_consent', sa.Boolean(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('user_feedback', sa.SmallInteger(), nullable=True),
    sa.Column('user_comment', sa.Text(), nullable=True),
    sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("prediction_result IN ('cat', 'dog', 'error')", name='ck_result'),
    sa.CheckConstraint('inference_time_ms >= 0', name='ck_inference_time'),
    sa.CheckConstraint('proba_cat BETWEEN 0 AND 1 AND proba_dog BETWEEN 0 AND 1', name='ck_probabilities'),
    sa.CheckConstraint('rgpd_consent OR (filename IS NULL AND user_comment IS NULL AND user_feedback IS NULL)', name='ck_consent'),
    sa.CheckConstraint('user_feedback IN (0, 1)', name='ck_feedback'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_predictions_feedback_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_predictions_feedback_prediction_result', ['prediction_result'], unique=False)



def downgrade():
    with op.batch_alter_table('predictions_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_predictions_feedback_prediction_result')
        batch_op.drop_index('ix_predictions_feedback_created_at')

    op.drop_table('predictions_feedback')
