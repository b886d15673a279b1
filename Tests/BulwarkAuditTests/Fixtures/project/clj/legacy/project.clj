(defproject acme/legacy "0.1.0-SNAPSHOT"
  :description "Legacy service"
  :dependencies [[org.clojure/clojure "1.11.1"]
                 [compojure "1.7.0"]
                 [ring/ring-core "1.11.0" :exclusions [commons-codec]]]
  :plugins [[lein-ring "0.12.6"]]
  :profiles {:dev {:dependencies [[ring/ring-mock "0.4.0"]]}})
