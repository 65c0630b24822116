<?php
/**
 * Runs the plugin's own code against a running Assay, for tests/e2e/woocommerce/test_plugin.py.
 *
 * php e2e-harness.php STATE_FILE STEP: the plugin's option and the order live in STATE_FILE (JSON) between steps;
 * the step's output (JSON) is printed. HTTP is real (tests/wp-stubs.php's wp_remote_request).
 */

require __DIR__ . '/wp-stubs.php';

[ , $state_file, $step ] = $argv;
$state                         = json_decode( file_get_contents( $state_file ), true );
$GLOBALS['wp_options']         = $state['options'];
$GLOBALS['wp_home']            = $state['home'];
$GLOBALS['wp_user_id']         = 7;
$GLOBALS['wp_options']['date_format'] = 'Y-m-d';
$GLOBALS['wp_options']['time_format'] = 'H:i';
$o     = $state['order'];
$order = new Fake_Order( $o['id'], $o['number'], $o['email'], $o['key'], array_map( fn( $line ) => new Fake_Item( $line[0], $line[1] ), $o['items'] ), 7 );
$order->meta                   = $state['order_meta'];
$GLOBALS['wp_orders'][ $o['id'] ] = $order;
$admin = new Assay_Admin();
$form  = new Assay_Request_Form();
$form->answer_attempts = 0;

switch ( $step ) {
	case 'connect':
		$_POST['assay_url'] = $state['assay_url'];
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_connect' );
		$out = array( 'redirect' => $admin->handle_connect() );
		break;
	case 'receive':
		// What WordPress hands the plugin's REST route when Assay delivers the secret (wc-assay/v1/connection).
		$answer = ( new Assay_Connection() )->receive( new WP_REST_Request( $state['delivery'] ) );
		$out    = array( 'status' => $answer->get_status(), 'body' => $answer->get_data() );
		break;
	case 'status':
		$out = Assay_Client::from_settings()->status();
		ob_start();
		$admin->render_status( $out );
		$out['html'] = ob_get_clean();
		break;
	case 'open':
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_open' );
		$out = array( 'redirect' => $admin->handle_open() );
		break;
	case 'request':
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST = $state['post'] + array( 'assay_request_nonce' => wp_create_nonce( 'assay_request_' . $o['id'] ) );
		$out = array( 'html' => $form->page( $o['id'] ) );
		break;
	case 'page':
		$out = array( 'html' => $form->page( $o['id'] ) );
		break;
	case 'disconnect':
		$_REQUEST['_wpnonce'] = wp_create_nonce( 'assay_disconnect' );
		$out = array( 'redirect' => $admin->handle_disconnect() );
		break;
}
$state['options']    = $GLOBALS['wp_options'];
$state['order_meta'] = $order->meta;
file_put_contents( $state_file, json_encode( $state ) );
echo json_encode( $out );
