FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN DJANGO_SECRET_KEY=build DATABASE_URL=postgres://x/x REDIS_URL=redis://x python manage.py collectstatic --no-input
EXPOSE 8000
