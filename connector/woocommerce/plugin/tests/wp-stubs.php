<?php
/**
 * Small stand-ins for the WordPress and WooCommerce functions the plugin calls, for its tests and the e2e harness.
 *
 * HTTP goes to $GLOBALS['assay_http'] (a callable recording requests) when set, else really over the network
 * (the e2e test points it at the running Assay on 127.0.0.1).
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'EP_ROOT', 1 );
define( 'EP_PAGES', 2 );

class WP_Die_Exception extends RuntimeException {}
class WP_Error {
	public $message;
	public function __construct( $code = '', $message = '' ) {
		$this->message = $message;
	}
}

$GLOBALS['wp_options'] = array();
$GLOBALS['wp_user_can'] = true;
$GLOBALS['wp_user_id'] = 0;
$GLOBALS['wp_orders'] = array();

function __( $text, $domain = 'default' ) { return $text; }
function esc_html__( $text, $domain = 'default' ) { return esc_html( $text ); }
function esc_html( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_attr( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_textarea( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function selected( $selected, $current = true, $display = true ) { return (string) $selected === (string) $current ? " selected='selected'" : ''; }
function esc_url( $url ) { return htmlspecialchars( (string) $url, ENT_QUOTES, 'UTF-8' ); }
function esc_url_raw( $url, $protocols = null ) {
	$scheme = strtolower( (string) parse_url( (string) $url, PHP_URL_SCHEME ) );
	return ( null === $protocols || in_array( $scheme, $protocols, true ) ) ? (string) $url : '';
}
function untrailingslashit( $text ) { return rtrim( (string) $text, '/\\' ); }
function wp_parse_url( $url ) { return parse_url( (string) $url ); }
function get_option( $name, $default = false ) { return $GLOBALS['wp_options'][ $name ] ?? $default; }
function update_option( $name, $value, $autoload = null ) { $GLOBALS['wp_options'][ $name ] = $value; return true; }
function delete_option( $name ) { unset( $GLOBALS['wp_options'][ $name ] ); return true; }
function wp_json_encode( $data ) { return json_encode( $data ); }
function is_wp_error( $thing ) { return $thing instanceof WP_Error; }
function wp_remote_retrieve_body( $response ) { return $response['body']; }
function wp_remote_retrieve_response_code( $response ) { return $response['response']['code']; }
function wp_remote_request( $url, $args ) {
	if ( isset( $GLOBALS['assay_http'] ) ) {
		return ( $GLOBALS['assay_http'] )( $url, $args );
	}
	$headers = '';
	foreach ( $args['headers'] as $name => $value ) {
		$headers .= "$name: $value\r\n";
	}
	$context = stream_context_create( array( 'http' => array( 'method' => $args['method'], 'header' => $headers, 'content' => (string) $args['body'], 'ignore_errors' => true, 'follow_location' => 0, 'timeout' => $args['timeout'] ) ) );
	$body    = @file_get_contents( $url, false, $context );
	if ( false === $body ) {
		return new WP_Error( 'http_request_failed', 'unreachable' );
	}
	preg_match( '#^HTTP/\S+ (\d{3})#', $http_response_header[0], $status );
	return array( 'body' => $body, 'response' => array( 'code' => (int) $status[1] ) );
}
function current_user_can( $capability ) { return $GLOBALS['wp_user_can']; }
function wp_die( $message = '', $title = '', $args = array() ) { throw new WP_Die_Exception( (string) $message ); }
function wp_create_nonce( $action ) { return substr( hash_hmac( 'sha256', $action . '|' . $GLOBALS['wp_user_id'], 'nonce-salt' ), 0, 10 ); }
function wp_verify_nonce( $nonce, $action ) { return hash_equals( wp_create_nonce( $action ), (string) $nonce ) ? 1 : false; }
function check_admin_referer( $action, $name = '_wpnonce' ) {
	if ( ! wp_verify_nonce( $_REQUEST[ $name ] ?? '', $action ) ) {
		wp_die( 'The link you followed has expired.' );
	}
	return 1;
}
function wp_nonce_field( $action, $name = '_wpnonce', $referer = true, $display = true ) {
	$field = '<input type="hidden" name="' . esc_attr( $name ) . '" value="' . esc_attr( wp_create_nonce( $action ) ) . '" />';
	if ( $display ) {
		echo $field;
	}
	return $field;
}
function sanitize_text_field( $text ) { return trim( preg_replace( '/[\r\n\t ]+/', ' ', strip_tags( (string) $text ) ) ); }
function sanitize_textarea_field( $text ) { return trim( strip_tags( (string) $text ) ); }
function sanitize_key( $key ) { return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) ); }
function wp_unslash( $value ) { return $value; }
function absint( $value ) { return abs( (int) $value ); }
function home_url( $path = '' ) { return ( $GLOBALS['wp_home'] ?? 'https://shop.example' ) . $path; }
function admin_url( $path = '' ) { return home_url( '/wp-admin/' . $path ); }
function add_query_arg( $args, $url ) { return $url . ( str_contains( $url, '?' ) ? '&' : '?' ) . http_build_query( $args ); }
function wp_get_current_user() { return (object) array( 'user_email' => 'anna@shop.example' ); }
function get_current_user_id() { return $GLOBALS['wp_user_id']; }
function wc_get_order( $id ) { return $GLOBALS['wp_orders'][ $id ] ?? false; }
function shortcode_atts( $pairs, $atts, $shortcode = '' ) { return array_merge( $pairs, array_intersect_key( $atts, $pairs ) ); }
function wp_date( $format, $timestamp ) { return gmdate( $format, $timestamp ); }
function add_action( ...$args ) {}
function register_rest_route( ...$args ) { $GLOBALS['wp_rest_routes'][] = $args; return true; }
class WP_REST_Response {
	public function __construct( public $data = null, public int $status = 200 ) {}
	public function get_data() { return $this->data; }
	public function get_status() { return $this->status; }
}
class WP_REST_Request {
	public function __construct( private array $json = array() ) {}
	public function get_json_params() { return $this->json; }
}
function add_filter( ...$args ) {}
function add_shortcode( ...$args ) {}
function wc_get_endpoint_url( $endpoint, $value, $permalink ) { return $permalink . $endpoint . '/' . $value . '/'; }
/** WooCommerce's classic notices/{type}.php markup; the message arrives escaped. */
function wc_print_notice( $message, $notice_type = 'success', $data = array(), $return = false ) {
	$notice = '<ul class="woocommerce-' . $notice_type . '" role="alert"><li>' . $message . '</li></ul>';
	if ( $return ) {
		return $notice;
	}
	echo $notice;
}
/** A block theme styles buttons by its element class; a classic theme has none. */
function wc_wp_theme_get_element_class_name( $element ) { return ! empty( $GLOBALS['wp_block_theme'] ) ? 'wp-element-button' : ''; }
function wc_get_page_permalink( $page ) { return home_url( '/my-account/' ); }

class Fake_Item {
	public function __construct( private string $name, private int $quantity ) {}
	public function get_name() { return $this->name; }
	public function get_quantity() { return $this->quantity; }
}

/** The WC_Order methods the plugin calls. */
class Fake_Order {
	public array $meta = array();
	public int $saves = 0;
	public function __construct( public int $id, public string $number, public string $email, public string $key, public array $items, public int $customer = 0 ) {}
	public function get_id() { return $this->id; }
	public function get_order_number() { return $this->number; }
	public function get_billing_email() { return $this->email; }
	public function get_order_key() { return $this->key; }
	public function get_customer_id() { return $this->customer; }
	public function get_items() { return $this->items; }
	public function get_meta( $key ) { return $this->meta[ $key ] ?? ''; }
	public function update_meta_data( $key, $value ) { $this->meta[ $key ] = $value; }
	public function save() { $this->saves++; }
}

require_once __DIR__ . '/wc-features-stub.php';
define( 'ASSAY_WC_FILE', dirname( __DIR__ ) . '/assay-for-woocommerce/assay-for-woocommerce.php' );
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-compatibility.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-settings.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-client.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-admin.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-connection.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-request-form.php';
require_once dirname( __DIR__ ) . '/assay-for-woocommerce/includes/class-assay-delivery.php';
