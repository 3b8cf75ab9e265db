FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# Run-time dependencies only: no test tools, emulators or browsers in the image.
COPY requirements-runtime.lock .
RUN pip install --no-cache-dir -r requirements-runtime.lock
COPY . .
# collectstatic needs settings, not the real secrets: placeholders that exist only in this step.
RUN DJANGO_SECRET_KEY=build STRIPE_SECRET_KEY=build STRIPE_PUBLISHABLE_KEY=build STRIPE_WEBHOOK_SECRET=build \
    SITE_URL=https://build.invalid AWS_STORAGE_BUCKET_NAME=build DATABASE_URL=postgres://x/x REDIS_URL=redis://x \
    EMAIL_URL=dummymail:// \
    python manage.py collectstatic --no-input \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin pledgeboard \
 && mkdir -p /app/var && chown -R pledgeboard /app/var
# Never root at run time: the web, worker and beat processes run as this user.
USER pledgeboard
EXPOSE 8000
