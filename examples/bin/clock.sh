#!/bin/sh
# Prints the time every two seconds until stopped.
while true; do
  date '+%H:%M:%S tick'
  sleep 2
done
