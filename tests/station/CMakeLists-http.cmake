# The station over HTTP: python3 (Debian's, for python3-paho-mqtt) against the real
# haven-station, haven-room and a private mosquitto (tests/station/station_fixture.py).
find_program(HAVEN_PYTHON3 python3 PATHS /usr/bin /bin NO_DEFAULT_PATH)
if(HAVEN_PYTHON3 AND TARGET haven-station)
  set(haven_station_env
      HAVEN_STATION_BIN=$<TARGET_FILE:haven-station>
      HAVEN_ROOM_BIN=$<TARGET_FILE:haven-room>
      HAVEN_MOSQUITTO=${MOSQUITTO_BROKER})
  # One CTest entry per test class, so a failure names the area.
  foreach(area Login Actions Streams BadInput Links Report LoginWorker Groups Scenes TLS Config Record)
    add_test(NAME station.http.${area}
             COMMAND ${HAVEN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/test_http.py -v ${area})
    set_tests_properties(station.http.${area} PROPERTIES LABELS station TIMEOUT 300
                         ENVIRONMENT "${haven_station_env}")
  endforeach()
endif()
