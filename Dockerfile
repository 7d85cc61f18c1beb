FROM python:3.11.7-slim-bookworm
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DATA_DIR=/tmp/build SECRET_KEY=build python manage.py collectstatic --noinput
EXPOSE 8088 8081
CMD ["gunicorn", "atsd_alerts.wsgi", "-b", "0.0.0.0:8088"]
